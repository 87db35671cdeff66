import FieldBus

/// The console's way to act on the running agent: it queues requests (fresh statistics from
/// every bus, a write to a configured point, a commissioning read of registers) and the loop
/// answers them (`AgentLoop.answer`): it hands each to the device's bus worker and puts back the
/// outcome that worker reported, or the refusal when its queue was full. A class: the console's
/// per-turn backend queues, the loop answers, the console reads the answers on a later turn.
///
/// Fixed capacity, reserved when made: queuing and answering allocate nothing. One write and one
/// commissioning read are answered at a time (the console waits for each before the next).
public final class AgentCommandPort {
    /// What the console asks of the agent.
    public enum Request: Equatable, Sendable {
        /// Snapshots of every bus's and device's statistics (they arrive as bus events).
        case statistics
        /// A write on `bus`, ahead of its polls; answered with its `WriteOutcome`.
        case write(bus: Int, WriteCommand)
        /// A commissioning read on `bus`, ahead of its polls; answered with its outcome.
        case registerRead(bus: Int, RegisterReadRequest)
        /// Console `trace`: watch `device`'s `point` (a device of -1: stop watching).
        case trace(device: Int, point: Int)
    }

    /// Requests not handed to the loop yet, oldest first.
    public private(set) var requests: [Request] = []
    var writeAnswer: (id: UInt32, outcome: WriteOutcome)? = nil
    var registerReadAnswer: (id: UInt32, outcome: RegisterReadOutcome)? = nil

    /// The most requests waiting at once; more are refused.
    public static var capacity: Int { 4 }

    public init() {
        requests.reserveCapacity(Self.capacity)
    }

    /// Queues `request` for the loop; false (nothing queued) when the port is full.
    public func submit(_ request: Request) -> Bool {
        guard requests.count < Self.capacity else { return false }
        requests.append(request)
        return true
    }

    /// True while requests wait for the loop (the loop should not sleep).
    public var hasRequests: Bool { !requests.isEmpty }

    /// Hands the waiting requests to `body`, oldest first, and forgets them.
    func takeRequests(_ body: (Request) -> Void) {
        var i = 0
        while i < requests.count {
            body(requests[i])
            i += 1
        }
        requests.removeAll(keepingCapacity: true)
    }

    /// The loop's answer to write `id`.
    func answer(write id: UInt32, _ outcome: WriteOutcome) { writeAnswer = (id, outcome) }

    /// The loop's answer to commissioning read `id`.
    func answer(registerRead id: UInt32, _ outcome: RegisterReadOutcome) { registerReadAnswer = (id, outcome) }

    /// True when the outcome of write `id` arrived.
    public func hasWrite(id: UInt32) -> Bool { writeAnswer?.id == id }

    /// The outcome of write `id` once it arrived (taken: returned once).
    public func takeWrite(id: UInt32) -> WriteOutcome? {
        guard let answer = writeAnswer, answer.id == id else { return nil }
        writeAnswer = nil
        return answer.outcome
    }

    /// True when the outcome of commissioning read `id` arrived.
    public func hasRegisterRead(id: UInt32) -> Bool { registerReadAnswer?.id == id }

    /// The outcome of commissioning read `id` once it arrived (taken: returned once).
    public func takeRegisterRead(id: UInt32) -> RegisterReadOutcome? {
        guard let answer = registerReadAnswer, answer.id == id else { return nil }
        registerReadAnswer = nil
        return answer.outcome
    }
}
