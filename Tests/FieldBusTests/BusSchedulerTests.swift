import EdgeCore
import FieldBus
import Testing

/// The bus scheduler against a fake bus and a manual clock: deadlines, intervals, the
/// inter-frame gap, writes ahead of polls, retries, offline/probe back-off and statistics.
@Suite struct BusSchedulerTests {
    static let meter = DeviceTemplate(name: "meter", points: [
        PointDefinition(identifier: "voltage", table: .holdingRegister, address: 100, dataType: .uint16, scale: 0.1),
        PointDefinition(identifier: "energy", table: .holdingRegister, address: 101, dataType: .uint32),
        PointDefinition(identifier: "setpoint", table: .holdingRegister, address: 200, dataType: .int16, writable: true,
                        allowedRange: -100...100),
        PointDefinition(identifier: "relay", table: .coil, address: 5, dataType: .bool, intervalMilliseconds: 5000, writable: true),
    ], defaultIntervalMilliseconds: 1000)

    static func bus(baud: UInt32 = 9600, retries: UInt8 = 1, k: UInt8 = 3) -> BusDefinition {
        BusDefinition(name: "rs485", transport: .serial(SerialSettings(path: "/dev/null", baud: baud)),
                      responseTimeoutMilliseconds: 500, retries: retries, offlineAfterFailures: k,
                      probeBackoffMinimumMilliseconds: 1000, probeBackoffMaximumMilliseconds: 8000)
    }

    static func make(units: [UInt8], interval: [UInt32?]? = nil, bus: BusDefinition = bus(),
                     field: (FakeField) -> Void = { _ in }) throws -> BusScheduler<FakeBus, ManualClock> {
        let clock = ManualClock()
        let fake = FakeField(clock: clock)
        for u in units { fake.addUnit(u) }
        field(fake)
        let devices = units.enumerated().map { i, u in
            DeviceDefinition(name: "m\(u)", template: 0, unitId: u, bus: 0, intervalOverrideMilliseconds: interval?[i])
        }
        return try BusScheduler(bus: bus, busIndex: 0, templates: [meter], devices: devices,
                                transport: FakeBus(field: fake), clock: clock)
    }

    @Test func plansOneReadPerIntervalGroupAndPollsAtEachInterval() throws {
        var s = try Self.make(units: [1, 2], interval: [nil, 200])
        let fake = s.transport.field
        // Unit 1: registers 100-102 and 200 (1 s; not merged: gap 0), coil 5 (5 s); unit 2: the same three at 200 ms.
        #expect(s.reads.count == 6)
        var sink = EventRecorder()
        s.run(forMilliseconds: 10_000, sink: &sink)
        let unit1 = fake.log.filter { $0.unit == 1 }
        let unit2 = fake.log.filter { $0.unit == 2 }
        #expect(unit1.filter { $0.function == 3 }.count == 20)   // 2 reads × 10 periods
        #expect(unit1.filter { $0.function == 1 }.count == 2)    // coil at 0 s and 5 s
        #expect(unit2.count == 50 * 3)                           // coil, 100+3 and 200+1 every 200 ms
    }

    @Test func decodesSamplesWithScaleAndQuality() throws {
        var s = try Self.make(units: [1]) { f in
            f.registers[1]![100] = 2305
            f.registers[1]![101] = 0x0001
            f.registers[1]![102] = 0x0002
            f.coils[1]![5] = 1
        }
        var sink = EventRecorder()
        s.run(forMilliseconds: 100, sink: &sink)
        let byPoint = Dictionary(sink.samples.map { ($0.point, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPoint[0]?.value == .double(2305 * 0.1))
        #expect(byPoint[1]?.value == .uint(0x0001_0002))
        #expect(byPoint[3]?.value == .bool(true))
        #expect(sink.samples.allSatisfy { $0.quality == .good && $0.device == 0 })
    }

    @Test func keepsTheInterFrameGapBetweenTransactions() throws {
        var s = try Self.make(units: [1, 2, 3])
        let fake = s.transport.field
        fake.transactionNanoseconds = 1_000_000
        var sink = CountingSink()
        s.run(forMilliseconds: 3000, sink: &sink)
        let gap = SerialSettings(path: "", baud: 9600).interFrameGapNanoseconds
        #expect(gap == 3_645_833)
        #expect(fake.log.count > 20)
        for (a, b) in zip(fake.log, fake.log.dropFirst()) {
            #expect(b.start - a.end >= gap, "gap \(b.start - a.end) ns")
        }
        // The gap is kept, not exceeded, when reads are due back to back.
        #expect(fake.log[1].start - fake.log[0].end == gap)
    }

    @Test func writesRunAheadOfDuePolls() throws {
        var s = try Self.make(units: [1])
        let fake = s.transport.field
        var sink = EventRecorder()
        let queued = s.enqueue(WriteCommand(id: 7, device: 0, point: 2, value: .int(-42)))
        #expect(queued)
        _ = s.step(sink: &sink)
        #expect(fake.log.first?.function == 6)
        #expect(fake.registers[1]![200] == UInt16(bitPattern: -42))
        #expect(sink.events == [.writeCompleted(id: 7, device: 0, point: 2, outcome: .ok)])
    }

    @Test func writesReportRejectionOfflineAndVerification() throws {
        var s = try Self.make(units: [1, 2])
        let fake = s.transport.field
        fake.dead = [2]
        var sink = EventRecorder()
        _ = s.enqueue(WriteCommand(id: 1, device: 0, point: 2, value: .int(101)))
        _ = s.enqueue(WriteCommand(id: 2, device: 0, point: 0, value: .int(1)))
        _ = s.enqueue(WriteCommand(id: 3, device: 0, point: 3, value: .bool(true), verify: true))
        _ = s.enqueue(WriteCommand(id: 4, device: 0, point: 2, value: .int(5), verify: true))
        _ = s.enqueue(WriteCommand(id: 5, device: 9, point: 0, value: .int(5)))
        _ = s.enqueue(WriteCommand(id: 6, device: 1, point: 2, value: .int(5)))
        for _ in 0..<6 { _ = s.step(sink: &sink); fake.clock.advance(milliseconds: 10) }
        #expect(sink.events == [
            .writeCompleted(id: 1, device: 0, point: 2, outcome: .rejected(.outOfAllowedRange)),
            .writeCompleted(id: 2, device: 0, point: 0, outcome: .rejected(.notWritable)),
            .writeCompleted(id: 3, device: 0, point: 3, outcome: .ok),
            .writeCompleted(id: 4, device: 0, point: 2, outcome: .ok),
            .writeCompleted(id: 5, device: 9, point: 0, outcome: .unknownPoint),
            .writeCompleted(id: 6, device: 1, point: 2, outcome: .failed(.timeout)),
        ])
        #expect(fake.coils[1]![5] == 1)
        #expect(fake.log.map(\.function) == [5, 1, 6, 3, 6])
    }

    @Test func writeQueueIsBoundedAndCountsDrops() throws {
        var s = try Self.make(units: [1])
        for i in 0..<16 {
            let queued = s.enqueue(WriteCommand(id: UInt32(i), device: 0, point: 2, value: .int(1)))
            #expect(queued)
        }
        let overflow = s.enqueue(WriteCommand(id: 99, device: 0, point: 2, value: .int(1)))
        #expect(!overflow)
        #expect(s.statistics.writesDropped == 1)
    }

    @Test func retriesAFailedReadThenReportsItsQuality() throws {
        var s = try Self.make(units: [1]) { f in f.scripted = [.crcError, .crcError] }
        let fake = s.transport.field
        var sink = EventRecorder()
        _ = s.step(sink: &sink)          // read 100+3 → CRC error, retry pending
        #expect(sink.events.isEmpty)
        fake.clock.advance(milliseconds: 10)
        _ = s.step(sink: &sink)          // retry → CRC error again: bad samples
        #expect(sink.samples.map(\.quality) == [.crcError, .crcError])
        fake.clock.advance(milliseconds: 10)
        _ = s.step(sink: &sink)          // next read (200) is fine
        #expect(sink.samples.last?.quality == .good)
        #expect(s.statistics.transactions.crcErrors == 2)
        #expect(s.devices[0].online)
    }

    @Test func exceptionRepliesGiveExceptionQualityAndKeepTheDeviceOnline() throws {
        var s = try Self.make(units: [1]) { f in f.exceptionFor[1] = 2 }
        var sink = EventRecorder()
        s.run(forMilliseconds: 5000, sink: &sink)
        #expect(!sink.samples.isEmpty)
        #expect(sink.samples.allSatisfy { $0.quality == .exception(2) })
        #expect(s.devices[0].online)
        #expect(s.statistics.transactions.exceptions == s.statistics.transactions.requests)
        #expect(s.statistics.transactions.timeouts == 0)
    }

    @Test func aDeadDeviceGoesOfflineAndIsProbedWithCappedBackoff() throws {
        var s = try Self.make(units: [1, 2], bus: Self.bus(retries: 1, k: 3)) { f in f.dead = [2] }
        let fake = s.transport.field
        var sink = EventRecorder()
        s.run(forMilliseconds: 60_000, sink: &sink)
        #expect(sink.events.contains(.deviceOffline(device: 1, time: WallTime(milliseconds: 0), cause: .timeout, detail: nil)) == false)
        let offline = sink.events.filter { if case .deviceOffline(1, _, _, _) = $0 { return true } else { return false } }
        #expect(offline.count == 1)
        // The event says why: the read that took it offline timed out (Modbus has no further detail).
        #expect(offline.allSatisfy { if case .deviceOffline(1, _, .timeout, nil) = $0 { return true } else { return false } })
        // Going offline marks every point of the device once: the failed read's with its
        // timeout, the others as offline; nothing more while it stays dead.
        let deadSamples = sink.samples.filter { $0.device == 1 }
        // (100+3 timed out twice, then 200 timed out: the third failure; the coil was never read.)
        #expect(Set(deadSamples.filter { $0.quality == .offline }.map(\.point)) == [0, 1, 3])
        #expect(deadSamples.filter { $0.quality == .offline }.count == 3)
        #expect(Set(deadSamples.filter { $0.quality == .timeout }.map(\.point)) == [0, 1, 2])
        #expect(!s.devices[1].online)
        // After going offline: one request per back-off step, 1, 2, 4, 8, 8, 8… s apart.
        let deadStarts = fake.log.filter { $0.unit == 2 }.map(\.start)
        #expect(deadStarts.count >= 3 + 5)
        let probes = Array(deadStarts.dropFirst(3))
        let spacings = zip(probes, probes.dropFirst()).map { ($1 - $0) / 1_000_000 }
        // spacing = back-off after the previous probe's timeout (500 ms) ends.
        #expect(spacings.prefix(4).map { $0 - 500 } == [2000, 4000, 8000, 8000])
        // The healthy unit kept its 1 s rate (2 register reads/s) within 10 %.
        let healthy = fake.log.filter { $0.unit == 1 && $0.function == 3 }.count
        #expect(healthy >= 108 && healthy <= 120, "\(healthy)")
    }

    @Test func anOfflineDeviceComesBackOnAnsweredProbe() throws {
        var s = try Self.make(units: [1], bus: Self.bus(retries: 0, k: 2)) { f in f.dead = [1] }
        let fake = s.transport.field
        var sink = EventRecorder()
        s.run(forMilliseconds: 3000, sink: &sink)
        #expect(!s.devices[0].online)
        fake.dead = []
        s.run(forMilliseconds: 10_000, sink: &sink)
        #expect(s.devices[0].online)
        let states = sink.events.compactMap { e -> String? in
            switch e {
            case .deviceOffline: return "off"
            case .deviceOnline: return "on"
            default: return nil
            }
        }
        #expect(states == ["off", "on"])
        #expect(sink.samples.last?.quality == .good)
    }

    @Test func measuresJitterRoundTripsAndUtilization() throws {
        var s = try Self.make(units: [1, 2, 3, 4])
        let fake = s.transport.field
        fake.transactionNanoseconds = 20_000_000
        var sink = CountingSink()
        s.run(forMilliseconds: 10_000, sink: &sink)
        let t = s.statistics.transactions
        #expect(t.requests == t.responses)
        #expect(t.roundTripMinimumNanoseconds == 20_000_000)
        #expect(t.roundTripMaximumNanoseconds == 20_000_000)
        #expect(t.roundTripAverageNanoseconds == 20_000_000)
        // 4 units × 2 reads each second (+ coils every 5 s) all due together: later ones wait.
        #expect(s.statistics.jitterMaximumNanoseconds > 100_000_000)
        #expect(s.statistics.jitterMaximumNanoseconds < 300_000_000)
        let ppm = s.statistics.utilizationPPM(nowNanoseconds: fake.clock.monotonicNow().nanoseconds)
        let expected = t.busyNanoseconds * 1_000_000 / 10_000_000_000
        #expect(ppm == expected)
        #expect(s.devices[2].statistics.requests * 4 == t.requests)
    }

    @Test func skipsMissedPeriodsWhenTheBusCannotKeepUp() throws {
        var s = try Self.make(units: [1], interval: [10])
        let fake = s.transport.field
        fake.transactionNanoseconds = 30_000_000
        var sink = CountingSink()
        s.run(forMilliseconds: 1000, sink: &sink)
        #expect(s.statistics.missedDeadlines > 0)
        #expect(fake.transactions < 40)
    }
}
