import EdgeCore
import FieldBus
import Testing
import TestSupport

/// The steady state allocates nothing: poll cycles (with decoding, an offline device's probes and
/// writes with read-back) against the fake bus, after a warm-up.
@Suite struct SchedulerAllocationTests {
    @Test func pollCyclesAllocateNothingAfterWarmUp() throws {
        let clock = ManualClock()
        let field = FakeField(clock: clock)
        field.logging = false
        for u: UInt8 in 1...4 { field.addUnit(u) }
        field.dead = [4]
        let template = DeviceTemplate(name: "t", points: [
            PointDefinition(identifier: "a", table: .holdingRegister, address: 0, dataType: .float32, order: .cdab),
            PointDefinition(identifier: "b", table: .holdingRegister, address: 2, dataType: .int64, scale: 0.01),
            PointDefinition(identifier: "s", table: .inputRegister, address: 10, dataType: .string(length: 20)),
            PointDefinition(identifier: "c", table: .coil, address: 3, dataType: .bool, writable: true),
            PointDefinition(identifier: "w", table: .holdingRegister, address: 50, dataType: .uint32, writable: true),
        ])
        let devices = (1...4).map { DeviceDefinition(name: "d\($0)", template: 0, unitId: UInt8($0), bus: 0) }
        let bus = BusDefinition(name: "b", transport: .serial(SerialSettings(path: "/dev/null", baud: 19200)))
        var s = try BusScheduler(bus: bus, busIndex: 0, templates: [template], devices: devices,
                                 transport: FakeBus(field: field), clock: clock)
        var sink = CountingSink()
        s.run(forMilliseconds: 10_000, sink: &sink) // warm-up (device 4 goes offline)
        let before = sink.samples
        _ = s.enqueue(WriteCommand(id: 9, device: 2, point: 4, value: .uint(1))) // warm the write path too
        s.run(forMilliseconds: 100, sink: &sink)
        let counted = ThrowHooks.suspended {
            AllocationCounter.count {
                _ = s.enqueue(WriteCommand(id: 1, device: 0, point: 4, value: .uint(123_456), verify: true))
                _ = s.enqueue(WriteCommand(id: 2, device: 1, point: 3, value: .bool(true)))
                s.run(forMilliseconds: 120_000, sink: &sink)
            }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(sink.samples - before >= 3 * 3 * 120)
        #expect(field.registers[1]![51] == UInt16(123_456 & 0xFFFF))
    }
}
