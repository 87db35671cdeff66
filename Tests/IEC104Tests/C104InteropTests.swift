import CShim
import EdgeCore
import IEC104
import Testing

/// A small socket driver for the tests: TCPStream feeding an IEC104Link on the system clock.
struct LinkSocketDriver: ~Copyable {
    var stream = TCPStream()
    var link: IEC104Link<SystemClock>
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    var events: [LinkEvent] = []
    var failure: String?

    init(parameters: LinkParameters) { link = IEC104Link(parameters: parameters, clock: SystemClock()) }

    deinit { buffer.deallocate() }

    mutating func connect(port: UInt16) throws {
        link.connecting()
        try stream.open(host: "127.0.0.1", port: port)
        var established = false
        for _ in 0..<300 where !established {
            var revents: Int16 = 0
            _ = edge_poll_one(stream.descriptor, stream.pollEvents(wantWrite: true), 10, &revents)
            established = try stream.advance(revents: revents)
        }
        guard established else { throw ByteStreamError(.connect) }
        link.connectionOpened()
    }

    /// Runs the loop until `done` says so for the events so far, or `seconds` pass, or the link fails.
    mutating func run(seconds: Double, until done: ([LinkEvent]) -> Bool) -> Bool {
        let end = edge_monotonic_ns() + UInt64(seconds * 1e9)
        while edge_monotonic_ns() < end {
            if done(events) { return true }
            if case .close(let reason) = link.poll() { failure = reason.text; return false }
            do throws(ByteStreamError) {
                while link.pendingOutput.count > 0 {
                    let n = try stream.send(link.pendingOutput)
                    if n == 0 { break }
                    link.outputWritten(n)
                }
                var revents: Int16 = 0
                _ = edge_poll_one(stream.descriptor, Int16(POLLIN), 20, &revents)
                let n = try stream.receive(into: buffer)
                if n > 0 {
                    var received: [LinkEvent] = []
                    do throws(IEC104Error) {
                        try link.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { received.append($0) }
                    } catch { failure = error.text; return false }
                    events += received
                }
            } catch { failure = "socket: \(error)"; return false }
        }
        return done(events)
    }
}

/// The link against an independent implementation: a c104 (lib60870) outstation on loopback.
/// STARTDT, the general interrogation returns the configured points with their values,
/// qualities and time stamp, a spontaneous change arrives, a single command is confirmed and
/// executed by the outstation, select-before-operate, and a command to an unknown address refused.
/// Runs, never skips: without c104 (Tools/install-host-deps.sh installs it) the first test fails
/// with the install step, and the others fail at the outstation's start.
@Suite(.serialized)
struct C104InteropTests {
    @Test func theIndependentOutstationIsInstalled() {
        #expect(OutstationProcess.isAvailable, "c104 is not importable by python3: run Tools/install-host-deps.sh")
    }

    static func points(_ events: [LinkEvent]) -> [UInt32: DataPoint] {
        var out: [UInt32: DataPoint] = [:]
        for case .data(let p) in events { out[p.address] = p }
        return out
    }

    static func responses(_ events: [LinkEvent]) -> [ControlResponse] {
        events.compactMap { if case .response(let r) = $0 { return r } else { return nil } }
    }

    @Test func interrogationSpontaneousDataAndCommandAgainstLib60870() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        var p = LinkParameters()
        p.commonAddress = 47
        var driver = LinkSocketDriver(parameters: p)
        try driver.connect(port: outstation.port)

        // STARTDT and the general interrogation, to its termination.
        let interrogated = driver.run(seconds: 10) { events in
            Self.responses(events).contains { $0.type == .interrogation && $0.cause == .activationTermination }
        }
        #expect(interrogated, "\(driver.failure ?? "timeout"): \(driver.events) \(outstation.log)")
        #expect(driver.events.first == .started)
        let gi = Self.responses(driver.events).filter { $0.type == .interrogation }
        #expect(gi.map(\.causeCode) == [7, 10] && gi.allSatisfy { !$0.negative && $0.commonAddress == 47 })
        let points = Self.points(driver.events)
        #expect(points[11] == DataPoint(commonAddress: 47, address: 11, type: .shortFloat, value: .float(12.5), quality: .good, time: nil, causeCode: 20))
        #expect(points[12] == DataPoint(commonAddress: 47, address: 12, type: .singlePoint, value: .single(true), quality: .invalid, time: nil, causeCode: 20))
        #expect(points[13] == DataPoint(commonAddress: 47, address: 13, type: .doublePoint, value: .double(.on), quality: .good, time: nil, causeCode: 20))
        #expect(points[14] == DataPoint(commonAddress: 47, address: 14, type: .scaled, value: .scaled(-300),
                                        quality: [.notTopical, .substituted], time: nil, causeCode: 20))
        #expect(points[15] == DataPoint(commonAddress: 47, address: 15, type: .shortFloatTime, value: .float(-1.5), quality: .good,
                                        time: CP56Time2a(milliseconds: 1_767_225_600_250), causeCode: 20))
        #expect(points.count == 5)

        // A spontaneous change.
        driver.events = []
        outstation.send("spont 11 99.5")
        let spontaneous = driver.run(seconds: 10) { events in Self.points(events)[11] != nil }
        #expect(spontaneous, "\(driver.failure ?? "timeout"): \(outstation.log)")
        #expect(Self.points(driver.events)[11] == DataPoint(commonAddress: 47, address: 11, type: .shortFloat, value: .float(99.5),
                                                           quality: .good, time: nil, causeCode: Cause.spontaneous.rawValue))

        // A single command, confirmed by the outstation and executed there.
        driver.events = []
        try driver.link.send(.single(true), commonAddress: 47, address: 20)
        let confirmed = driver.run(seconds: 10) { events in !Self.responses(events).isEmpty }
        #expect(confirmed, "\(driver.failure ?? "timeout"): \(outstation.log)")
        #expect(Self.responses(driver.events).first == ControlResponse(commonAddress: 47, address: 20, type: .singleCommand, causeCode: 7,
                                                                       negative: false, value: .single(true), qualifier: 0x01))
        #expect(outstation.waitForLine("COMMAND 20 True ACTIVATION", seconds: 5) != nil, "\(outstation.log)")

        // Select before operate on IOA 21: the select is confirmed as a select, the execute runs.
        driver.events = []
        try driver.link.send(.single(true, select: true), commonAddress: 47, address: 21)
        #expect(driver.run(seconds: 10) { !Self.responses($0).isEmpty }, "\(driver.failure ?? "timeout"): \(outstation.log)")
        let select = Self.responses(driver.events).first
        #expect(select?.isSelect == true && select?.negative == false && select?.address == 21)
        driver.events = []
        try driver.link.send(.single(true), commonAddress: 47, address: 21)
        let executed = driver.run(seconds: 10) { events in Self.responses(events).contains { $0.cause == .activationTermination } }
        #expect(executed, "\(driver.failure ?? "timeout"): \(outstation.log)")
        #expect(Self.responses(driver.events).map(\.causeCode) == [7, 10])
        #expect(Self.responses(driver.events).allSatisfy { !$0.isSelect && !$0.negative })
        #expect(outstation.waitForLine("COMMAND 21 True ACTIVATION", seconds: 5) != nil, "\(outstation.log)")

        // A command to an address the station does not have is refused twice, in either order: a
        // negative activation confirmation, and cause 47 (unknown object address) with P/N clear.
        driver.events = []
        try driver.link.send(.single(true), commonAddress: 47, address: 99)
        #expect(driver.run(seconds: 10) { Self.responses($0).count >= 2 }, "\(driver.failure ?? "timeout"): \(outstation.log)")
        let refusals = Self.responses(driver.events)
        #expect(refusals.allSatisfy { $0.address == 99 && $0.isRefused }, "\(refusals)")
        #expect(refusals.contains { $0.cause == .activationConfirmation && $0.negative }, "\(refusals)")
        #expect(refusals.contains { $0.cause == .unknownObjectAddress }, "\(refusals)")
        #expect(driver.link.state == .started)
        #expect(driver.link.statistics.asdusRejected == 0)
    }
}
