/// Why cloud commands were answered "busy" (`ControlError.agentBusy`) instead of being queued for
/// the agent's loop. The uplink reports it with `UplinkEvent.commandsRefused` when it first happens
/// and then at most once a minute while it goes on, with how many commands it concerned.
public enum CommandOverflow: Equatable, Sendable {
    /// `capacity` commands were already waiting for the loop.
    case queueFull(capacity: Int)
    /// All `capacity` reply slots were held by commands still running (writes waiting for the bus).
    case replySlotsFull(capacity: Int)

    /// The log line for a report: the cause, how many commands were answered busy and how many got
    /// no reply at all (the queue of busy answers was full too, or the connection dropped first).
    public func logLine(answeredBusy: Int, unanswered: Int) -> String {
        var text = "cloud commands arrive faster than the agent runs them: "
        switch self {
        case .queueFull(let capacity): text += "the command queue (\(capacity) commands) is full"
        case .replySlotsFull(let capacity): text += "all \(capacity) reply slots are held by commands still running"
        }
        text += "; \(answeredBusy) answered busy (\(ControlError.agentBusy.code))"
        if unanswered > 0 { text += ", \(unanswered) got no reply (too many at once, or the connection dropped)" }
        return text
    }
}
