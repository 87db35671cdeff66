import EdgeCore
import FieldBus
import Synchronization

/// The agent loop's view of one field bus: a descriptor that is readable when events wait, the
/// events themselves, and writes going the other way. `BusWorker` (a thread per bus) is the real
/// one; tests substitute an in-memory bus that records writes and delivers samples. A class
/// protocol: the loop and the console share each bus, and generic use only (no existential).
public protocol AgentBus: AnyObject {
    /// Readable (for poll(2)) when events are waiting.
    var eventFD: Int32 { get }
    /// Starts the bus (its thread).
    func start() throws(Errno)
    /// Stops the bus after its current transaction; events already queued can still be drained.
    func stop()
    /// Hands every waiting event to `body`, in order.
    func drain(_ body: (BusEvent) -> Void)
    /// Queues a write; false when the queue is full (nothing will be written).
    func submit(_ write: WriteCommand) -> Bool
    /// Queues a commissioning read (the console's `read`); false when the queue is full.
    func submit(_ read: RegisterReadRequest) -> Bool
    /// Asks for a statistics snapshot, delivered later as events.
    func requestStatistics()
    /// Sends the register words of `device`'s `point` before its samples (`BusEvent.traceWords`,
    /// the console's `trace`); a device of -1 stops it.
    func watch(device: Int, point: Int)
    /// Events the bus had to drop because the loop's queue was full (for the console).
    var droppedEventCount: UInt64 { get }
}

extension BusWorker: AgentBus where Transport: ~Copyable {
    public var droppedEventCount: UInt64 { droppedEvents.load(ordering: .relaxed) }
}
