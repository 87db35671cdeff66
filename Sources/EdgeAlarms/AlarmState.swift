/// Where a rule is in its life: normal → pending (on-delay) → active → clearing (off-delay) →
/// normal. `unknown` when its inputs are bad: an alarm that cannot be evaluated is not normal,
/// and one that was active stays raised in the cloud until it can be evaluated again.
public enum AlarmState: UInt8, Equatable, Sendable {
    case normal
    case pending
    case active
    case clearing
    case unknown

    public var name: StaticString {
        switch self {
        case .normal: return "normal"
        case .pending: return "pending"
        case .active: return "active"
        case .clearing: return "clearing"
        case .unknown: return "unknown"
        }
    }
}

/// One rule's state (40 bytes), held in the evaluator's array sized at load.
struct AlarmRuleState {
    var state = AlarmState.normal
    /// Unknown since the last evaluation, and active (or clearing) before it.
    var heldWhileUnknown = false
    /// The last answer of a condition that only changes with a new sample (rate, state change).
    var lastMet = false
    var hasPrevious = false
    /// Pending, active: when the condition was met. Clearing: when it stopped being met.
    var since: Int64 = 0
    /// When the active alarm was raised (the time the condition was met).
    var raisedAt: Int64 = 0
    /// Rate and state change: the previous good sample's value and time. Stale: when the point was
    /// first looked at, for a point never seen.
    var previousValue = 0.0
    var previousTime = Int64.min
}
