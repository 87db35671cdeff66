import Agent
import EdgeCore
import FieldBus

/// A field bus in memory for the agent loop's tests (`AgentBus`): the test delivers events (samples,
/// online/offline, write results) as a bus thread would; writes the loop submits are recorded,
/// and refused while `acceptsWrites` is false (a full queue).
final class MemoryBus: AgentBus {
    let eventFD: Int32
    private var events: [BusEvent] = []
    private(set) var writes: [WriteCommand] = []
    private(set) var statisticsRequests = 0
    private(set) var started = false
    private(set) var stopped = false
    var acceptsWrites = true

    /// `index`: the bus's index in the configuration (names a distinct pretend descriptor).
    init(index: Int) { eventFD = 8_000 + Int32(index) }

    var hasEvents: Bool { !events.isEmpty }

    /// An event from the bus, as its thread would queue it.
    func deliver(_ event: BusEvent) { events.append(event) }

    func start() throws(Errno) { started = true }
    func stop() { stopped = true }

    func drain(_ body: (BusEvent) -> Void) {
        let waiting = events
        events.removeAll()
        for e in waiting { body(e) }
    }

    func submit(_ write: WriteCommand) -> Bool {
        guard acceptsWrites else { return false }
        writes.append(write)
        return true
    }

    private(set) var reads: [RegisterReadRequest] = []
    var droppedEventCount: UInt64 = 0

    func submit(_ read: RegisterReadRequest) -> Bool {
        guard acceptsWrites else { return false }
        reads.append(read)
        return true
    }

    func requestStatistics() { statisticsRequests += 1 }

    /// The point whose register words go before its samples (console `trace`), as the loop last asked.
    private(set) var watched = (device: -1, point: -1)
    func watch(device: Int, point: Int) { watched = (device, point) }
}
