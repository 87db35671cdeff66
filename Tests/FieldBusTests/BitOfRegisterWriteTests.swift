import CShim
import EdgeCore
import FieldBus
import Testing

/// A write to one bit of a holding register against pymodbus: read-modify-write that changes
/// only that bit, refuses a value that is not 0/1 without touching the wire, and verifies.
@Suite struct BitOfRegisterWriteTests {
    // Unit 3's holding register 60 starts at 3060 = 0x0BF4 (bit 0 clear, bit 2 set).
    static let template = DeviceTemplate(name: "flags", points: [
        PointDefinition(identifier: "word", table: .holdingRegister, address: 60, dataType: .uint16),
        PointDefinition(identifier: "bit0", table: .holdingRegister, address: 60, dataType: .bitOfRegister(index: 0), writable: true),
        PointDefinition(identifier: "bit2", table: .holdingRegister, address: 60, dataType: .bitOfRegister(index: 2), writable: true),
        PointDefinition(identifier: "bit5", table: .holdingRegister, address: 60, dataType: .bitOfRegister(index: 5)),
    ], limits: DeviceLimits(registerGap: 0), defaultIntervalMilliseconds: 100)

    struct Collector: BusEventSink {
        var events: [BusEvent] = []
        mutating func deliver(_ event: BusEvent) { events.append(event) }
        var lastWord: PointValue? {
            for e in events.reversed() { if case .sample(let s) = e, s.point == 0, s.quality == .good { return s.value } }
            return nil
        }
        func outcome(_ id: UInt32) -> WriteOutcome? {
            for e in events { if case .writeCompleted(id, _, _, let outcome) = e { return outcome } }
            return nil
        }
    }

    @Test func settingAndClearingABitLeavesTheOtherBitsAlone() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        let bus = BusDefinition(name: "bus", transport: .tcp(TCPSettings(host: "127.0.0.1", port: slave.port)),
                                responseTimeoutMilliseconds: 500)
        var s = try BusScheduler(bus: bus, busIndex: 0, templates: [Self.template],
                                 devices: [DeviceDefinition(name: "d", template: 0, unitId: 3, bus: 0)],
                                 transport: try ModbusConnection(bus: bus), clock: SystemClock())
        var sink = Collector()
        func run(until done: (Collector) -> Bool) {
            let end = edge_monotonic_ns() + 5_000_000_000
            while edge_monotonic_ns() < end, !done(sink) {
                switch s.step(sink: &sink) {
                case .transacted: continue
                case .waitUntil(let t): edge_sleep_ns(min(t.nanoseconds(since: s.clock.monotonicNow()), 20_000_000))
                case .idle: edge_sleep_ns(10_000_000)
                }
            }
        }
        run { $0.lastWord != nil }
        #expect(sink.lastWord == .uint(0x0BF4))

        var queued = s.enqueue(WriteCommand(id: 1, device: 0, point: 1, value: .bool(true), verify: true))
        queued = s.enqueue(WriteCommand(id: 2, device: 0, point: 2, value: .int(0), verify: true)) && queued
        // Not 0/1, and a read-only bit: refused before anything is sent.
        queued = s.enqueue(WriteCommand(id: 3, device: 0, point: 1, value: .int(2))) && queued
        queued = s.enqueue(WriteCommand(id: 4, device: 0, point: 3, value: .bool(true))) && queued
        #expect(queued)
        run { $0.outcome(4) != nil }
        #expect(sink.outcome(1) == .ok)
        #expect(sink.outcome(2) == .ok)
        #expect(sink.outcome(3) == .rejected(.outOfTypeRange))
        #expect(sink.outcome(4) == .rejected(.notWritable))
        sink.events.removeAll()
        run { $0.lastWord != nil }
        #expect(sink.lastWord == .uint(0x0BF1))   // bit 0 set, bit 2 cleared, the rest unchanged
        let writes = s.statistics.writes
        #expect(writes == 2)
    }
}
