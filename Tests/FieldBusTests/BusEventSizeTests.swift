import FieldBus
import Testing

/// Every slot of a bus worker's event queue is `MemoryLayout<BusEvent>.stride` bytes, sized at
/// start for the bus's points: the queue is the agent's largest buffer. A bus's statistics are
/// the largest case on purpose; other figures travel as cases of their own that must not exceed
/// it (the IEC 104 figures inside `BusStatistics` made every slot 288 bytes instead of 184).
@Suite struct BusEventSizeTests {
    @Test func theProtocolsFiguresDoNotEnlargeTheEventQueueSlots() {
        let event = MemoryLayout<BusEvent>.stride, bus = MemoryLayout<BusStatistics>.stride
        #expect(MemoryLayout<ProtocolStatistics>.size < MemoryLayout<BusStatistics>.size)
        #expect(event <= bus + 16, "BusEvent \(event) B, BusStatistics \(bus) B")
        // The budget on 64-bit targets: 184 bytes now; growing it is a decision, not an accident.
        if MemoryLayout<Int>.size == 8 { #expect(event <= 192, "BusEvent \(event) B") }
    }
}
