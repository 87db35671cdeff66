import EdgeCore
import FieldBus
import IEC104
import CShim
import Testing
import TestSupport

/// IEC 104 as a bus protocol: `BusScheduler` over `FieldConnection.iec104` against the c104
/// outstation on loopback. The first read connects, starts and interrogates; values become
/// samples with the outstation's time stamp and quality; a spontaneous change follows; writes are
/// commands the outstation executes (select before operate where the point says so); and a turn
/// of the scheduler allocates nothing once the link is up.
@Suite(.serialized) struct IEC104BusTests {
    final class Events: BusEventSink {
        var events: [BusEvent] = []
        var samples = 0
        var recording = true
        func deliver(_ event: BusEvent) {
            if case .sample = event { samples += 1 }
            if recording { events.append(event) }
        }
    }

    struct Sink: BusEventSink {
        let target: Events
        mutating func deliver(_ event: BusEvent) { target.deliver(event) }
    }

    static func configuration(port: UInt16) throws -> FieldBusConfiguration {
        let text = """
        {"buses": [{"name": "rtu", "type": "tcp", "protocol": "iec104", "host": "127.0.0.1", "port": \(port), "responseTimeoutMs": 50}],
         "templates": [{"name": "station", "protocol": "iec104", "intervalMs": 20, "points": [
            {"id": "p", "ioa": 11, "type": "float"},
            {"id": "alarm", "ioa": 12, "type": "single"},
            {"id": "breaker", "ioa": 13, "type": "double"},
            {"id": "q", "ioa": 14, "type": "scaled", "scale": 0.5},
            {"id": "t", "ioa": 15, "type": "float"},
            {"id": "trip", "ioa": 20, "type": "single", "writable": true},
            {"id": "close", "ioa": 21, "type": "single", "writable": true, "select": true},
            {"id": "missing", "ioa": 99, "type": "single", "writable": true}]}],
         "devices": [{"name": "s47", "template": "station", "bus": "rtu", "commonAddress": 47}]}
        """
        return try FieldBusConfiguration.parse(Array(text.utf8), file: "iec104.json")
    }

    static func run(_ s: inout BusScheduler<FieldConnection, SystemClock>, _ sink: inout Sink, seconds: Double,
                    until done: () -> Bool) -> Bool {
        let end = edge_monotonic_ns() + UInt64(seconds * 1e9)
        while edge_monotonic_ns() < end {
            if done() { return true }
            if case .waitUntil(let t) = s.step(sink: &sink) {
                let now = edge_monotonic_ns()
                if t.nanoseconds > now { edge_sleep_ns(min(t.nanoseconds - now, 5_000_000)) }
            }
        }
        return done()
    }

    static func last(_ events: [BusEvent], point: Int) -> Sample? {
        for event in events.reversed() { if case .sample(let s) = event, s.point == point { return s } }
        return nil
    }

    static func write(_ events: [BusEvent], id: UInt32) -> WriteOutcome? {
        for case .writeCompleted(let i, _, _, let outcome) in events where i == id { return outcome }
        return nil
    }

    @Test func valuesArriveWithDeviceTimeAndQualityAndWritesAreCommands() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port)
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = Events()
        var sink = Sink(target: events)
        let interrogated = Self.run(&s, &sink, seconds: 10) { (0..<5).allSatisfy { Self.last(events.events, point: $0) != nil } }
        #expect(interrogated, "\(events.events) \(outstation.log)")
        let e = events.events
        #expect(Self.last(e, point: 0).map { ($0.value, $0.quality) } ?? (.uint(0), .timeout) == (.double(12.5), .good))
        #expect(Self.last(e, point: 1).map { ($0.value, $0.quality) } ?? (.uint(0), .timeout) == (.bool(true), .flagged(0x01)))
        #expect(Self.last(e, point: 2).map { ($0.value, $0.quality) } ?? (.uint(0), .timeout) == (.uint(2), .good))
        #expect(Self.last(e, point: 3).map { ($0.value, $0.quality) } ?? (.uint(0), .timeout) == (.double(-150), .flagged(0x06)))
        #expect(Self.last(e, point: 4)?.time == WallTime(milliseconds: 1_767_225_600_250))
        #expect(Self.last(e, point: 4)?.value == .double(-1.5))
        #expect(!e.contains { if case .deviceOffline = $0 { return true } else { return false } })

        // Several changes between two turns each arrive, in order.
        events.events = []
        outstation.send("spont 11 1.5")
        outstation.send("spont 11 2.5")
        outstation.send("spont 11 3.5")
        let spontaneous = Self.run(&s, &sink, seconds: 10) { Self.last(events.events, point: 0)?.value == .double(3.5) }
        #expect(spontaneous, "\(events.events) \(outstation.log)")
        let values = events.events.compactMap { event -> PointValue? in
            if case .sample(let x) = event, x.point == 0 { return x.value } else { return nil }
        }
        #expect(values == [.double(1.5), .double(2.5), .double(3.5)])

        // Writes: a direct command, a select-before-operate one, a refused one.
        var queued = s.enqueue(WriteCommand(id: 1, device: 0, point: 5, value: .bool(true)))
        queued = s.enqueue(WriteCommand(id: 2, device: 0, point: 6, value: .uint(1))) && queued
        queued = s.enqueue(WriteCommand(id: 3, device: 0, point: 7, value: .uint(1))) && queued
        queued = s.enqueue(WriteCommand(id: 4, device: 0, point: 0, value: .double(1))) && queued
        #expect(queued)
        let written = Self.run(&s, &sink, seconds: 20) { Self.write(events.events, id: 4) != nil }
        #expect(written, "\(events.events)")
        #expect(Self.write(events.events, id: 1) == .ok)
        #expect(Self.write(events.events, id: 2) == .ok)
        // lib60870 refuses an unknown address twice, in either order: a negative activation
        // confirmation (cause 7, P/N set) and cause 47 (unknown object address, P/N clear).
        // Whichever comes first fails the write; neither is a success.
        let refused = Self.write(events.events, id: 3)
        #expect(refused == .failed(.exception(Cause.activationConfirmation.rawValue)) || refused == .failed(.exception(Cause.unknownObjectAddress.rawValue)),
                "\(String(describing: refused))")
        #expect(Self.write(events.events, id: 4) == .rejected(.notWritable))
        #expect(outstation.waitForLine("COMMAND 20 True ACTIVATION", seconds: 5) != nil, "\(outstation.log)")
        #expect(outstation.waitForLine("COMMAND 21 True ACTIVATION", seconds: 5) != nil, "\(outstation.log)")

        // The steady state: link turns, acknowledgements, spontaneous values and a command.
        events.recording = false
        let before = events.samples
        outstation.send("spont 11 4.5")
        _ = Self.run(&s, &sink, seconds: 0.5) { false }
        let line: [UInt8] = Array("spont 11 5.5\n".utf8)
        let input = outstation.inputDescriptor
        let counted = AllocationCounter.count {
            _ = s.enqueue(WriteCommand(id: 5, device: 0, point: 5, value: .bool(false)))
            line.withUnsafeBytes { _ = edge_write_all(input, $0.baseAddress, $0.count) }
            _ = Self.run(&s, &sink, seconds: 1.5) { false }
        }
        #expect(AllocationCounter.isActive)
        #expect(counted.allocations == 0, "\(counted)")
        #expect(events.samples > before + 1)
    }

    /// The link lost: the station goes offline (after the bus's failures), the scheduler probes
    /// it with its back-off, and when the outstation is back the link restarts and interrogates
    /// again; the general interrogation also repeats on its schedule while the link is up.
    @Test func lostLinkTakesTheStationOfflineAndReconnectsWithAnInterrogation() throws {
        var outstation = try OutstationProcess()
        defer { outstation.stop() }
        let port = outstation.port
        var config = try Self.configuration(port: port)
        config.buses[0].iec104Link?.interrogationPeriodMilliseconds = 1000
        config.buses[0].probeBackoffMinimumMilliseconds = 100
        config.buses[0].probeBackoffMaximumMilliseconds = 200
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = Events()
        var sink = Sink(target: events)
        func breakerSamples() -> Int {
            events.events.reduce(0) { n, e in if case .sample(let x) = e, x.point == 2 { return n + 1 } else { return n } }
        }
        // The scheduled interrogation: the breaker (never sent spontaneously) arrives twice.
        #expect(Self.run(&s, &sink, seconds: 10) { breakerSamples() >= 2 }, "\(events.events) \(outstation.log)")

        outstation.stop()
        let offline = Self.run(&s, &sink, seconds: 40) {
            events.events.contains { if case .deviceOffline = $0 { return true } else { return false } }
        }
        #expect(offline, "\(events.events)")
        // The cause, in the link's terms: the outstation closed the connection, then nothing
        // listens on the port (the offline event carries the failure that took it offline).
        let causes = events.events.compactMap { e -> FieldFailureDetail? in
            switch e {
            case .readFailure(_, let d): return d
            case .deviceOffline(_, _, _, let d): return d
            default: return nil
            }
        }
        #expect(causes.contains { if case .iec104(.connect(_, code: ECONNREFUSED)) = $0 { return true } else { return false } }, "\(causes)")
        let offlineDetail = events.events.lazy.compactMap { e -> FieldFailureDetail? in
            if case .deviceOffline(_, _, _, let d) = e { return d } else { return nil } }.first
        #expect(offlineDetail?.description.hasPrefix("iec104 link: ") == true, "\(String(describing: offlineDetail))")
        events.events = []
        outstation = try OutstationProcess(port: port)
        let back = Self.run(&s, &sink, seconds: 20) {
            events.events.contains { if case .deviceOnline = $0 { return true } else { return false } } && breakerSamples() >= 1
        }
        #expect(back, "\(events.events) \(outstation.log)")
        #expect(Self.last(events.events, point: 0)?.value == .double(12.5))
    }
}
