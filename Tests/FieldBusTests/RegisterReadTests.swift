import CShim
import EdgeCore
import FieldBus
import Testing

/// Commissioning reads (`RegisterReadRequest`) through the scheduler against pymodbus: raw
/// registers and bits outside the configured points, run ahead of the polls; forbidden
/// addresses and counts beyond the limits are refused with nothing sent; a failed transaction
/// is reported without taking the device offline.
@Suite struct RegisterReadTests {
    // Holding i of unit 2 is 2000 + i; input i is (200 + i) ^ 0x5555; coil i is i % 3 == 0.
    static let template = DeviceTemplate(name: "meter", points: [
        PointDefinition(identifier: "v", table: .holdingRegister, address: 0, dataType: .uint16),
    ], forbidden: [AddressRange(table: .holdingRegister, first: 100, last: 109)],
       limits: DeviceLimits(maxRegistersPerRead: 8), defaultIntervalMilliseconds: 100)

    struct Collector: BusEventSink {
        var events: [BusEvent] = []
        mutating func deliver(_ event: BusEvent) { events.append(event) }
        func outcome(_ id: UInt32) -> RegisterReadOutcome? {
            for e in events { if case .registerReadCompleted(id, _, let outcome) = e { return outcome } }
            return nil
        }
        var wentOffline: Bool {
            events.contains { if case .deviceOffline = $0 { return true } else { return false } }
        }
    }

    static func values(_ outcome: RegisterReadOutcome?) -> [UInt16]? {
        guard case .ok(let v) = outcome else { return nil }
        return (0..<v.count).map { v[$0] }
    }

    @Test func rawRegistersAndBitsAreReadAndRefusalsSendNothing() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        let bus = BusDefinition(name: "bus", transport: .tcp(TCPSettings(host: "127.0.0.1", port: slave.port)),
                                responseTimeoutMilliseconds: 500)
        var s = try BusScheduler(bus: bus, busIndex: 0, templates: [Self.template],
                                 devices: [DeviceDefinition(name: "d", template: 0, unitId: 2, bus: 0)],
                                 transport: try ModbusConnection(bus: bus), clock: SystemClock())
        var sink = Collector()
        func run(until done: (Collector) -> Bool) {
            let end = edge_monotonic_ns() + 15_000_000_000
            while edge_monotonic_ns() < end, !done(sink) {
                switch s.step(sink: &sink) {
                case .transacted: continue
                case .waitUntil(let t): edge_sleep_ns(min(t.nanoseconds(since: s.clock.monotonicNow()), 20_000_000))
                case .idle: edge_sleep_ns(10_000_000)
                }
            }
        }
        let first = s.enqueue(RegisterReadRequest(id: 1, device: 0, table: .holdingRegister, address: 40, count: 4))
        let second = s.enqueue(RegisterReadRequest(id: 9, device: 0, table: .holdingRegister, address: 0, count: 1))
        #expect(first)
        #expect(!second, "a second read while one waits")
        run { $0.outcome(1) != nil }
        #expect(Self.values(sink.outcome(1)) == [2040, 2041, 2042, 2043])
        // Ahead of the polls: the read ran before the first poll's sample.
        #expect(sink.events.first.map { if case .registerReadCompleted = $0 { true } else { false } } == true)

        _ = s.enqueue(RegisterReadRequest(id: 2, device: 0, table: .inputRegister, address: 5, count: 2))
        run { $0.outcome(2) != nil }
        #expect(Self.values(sink.outcome(2)) == [UInt16(205 ^ 0x5555), UInt16(206 ^ 0x5555)])

        _ = s.enqueue(RegisterReadRequest(id: 3, device: 0, table: .coil, address: 0, count: 7))
        run { $0.outcome(3) != nil }
        #expect(Self.values(sink.outcome(3)) == [1, 0, 0, 1, 0, 0, 1])

        let before = s.statistics.transactions
        _ = s.enqueue(RegisterReadRequest(id: 4, device: 0, table: .holdingRegister, address: 98, count: 4))
        run { $0.outcome(4) != nil }
        #expect(sink.outcome(4) == .forbidden(AddressRange(table: .holdingRegister, first: 100, last: 109)))
        _ = s.enqueue(RegisterReadRequest(id: 5, device: 0, table: .holdingRegister, address: 0, count: 9))
        run { $0.outcome(5) != nil }
        #expect(sink.outcome(5) == .outOfLimits, "over the template's 8 registers a read")
        _ = s.enqueue(RegisterReadRequest(id: 6, device: 0, table: .holdingRegister, address: 65535, count: 2))
        run { $0.outcome(6) != nil }
        #expect(sink.outcome(6) == .outOfLimits)
        _ = s.enqueue(RegisterReadRequest(id: 7, device: 5, table: .holdingRegister, address: 0, count: 1))
        run { $0.outcome(7) != nil }
        #expect(sink.outcome(7) == .unknownDevice)
        // Refusals sent nothing (a waiting read runs before any poll, so nothing else ran either).
        #expect(s.statistics.transactions.requests == before.requests)

        // Addresses >= 2000 do not exist: exception 2, reported; the device stays online.
        _ = s.enqueue(RegisterReadRequest(id: 8, device: 0, table: .holdingRegister, address: 2000, count: 1))
        run { $0.outcome(8) != nil }
        #expect(sink.outcome(8) == .failed(.exception(2)))
        #expect(!sink.wentOffline)
    }
}
