import EdgeCompute
import EdgeCore

/// Runs a set of alarm rules over the caller's inputs at the times the caller gives (sample
/// times or an injected clock: it reads no clock), one state machine per rule (`AlarmState`).
/// State is one fixed array sized at init; `step` and `evaluate` allocate nothing and never trap.
///
/// A rule moves normal → pending when its condition is met, pending → active (a `raise`, stamped
/// with the time the condition was met) once it has held for the on-delay, active → clearing when
/// it is no longer met, clearing → normal (a `clear`, stamped with the time it stopped being met)
/// once that has lasted the off-delay. A condition met again while clearing returns to active
/// without a second raise; one that goes away while pending returns to normal without any event.
/// A condition that cannot be evaluated (a bad input, a formula fault) makes the rule `unknown`
/// without an event; when it can be evaluated again, a rule that was active continues as active or
/// clearing, any other starts over from normal.
public struct AlarmEvaluator {
    public let rules: AlarmRuleSet
    var states: [AlarmRuleState]

    public init(rules: AlarmRuleSet) {
        self.rules = rules
        states = [AlarmRuleState](repeating: AlarmRuleState(), count: rules.count)
    }

    /// Bytes the rules and their state hold.
    public var memoryBytes: Int { rules.memoryBytes + states.capacity * MemoryLayout<AlarmRuleState>.stride }

    /// Bytes of state per rule.
    public static var stateBytesPerRule: Int { MemoryLayout<AlarmRuleState>.stride }

    public func state(_ rule: Int) -> AlarmState { states[rule].state }

    /// Whether the rule's alarm is raised (active or clearing, or unknown after being so).
    public func isRaised(_ rule: Int) -> Bool {
        let s = states[rule]
        return s.state == .active || s.state == .clearing || (s.state == .unknown && s.heldWhileUnknown)
    }

    /// When the raised alarm's condition was met.
    public func raisedAt(_ rule: Int) -> Int64? { isRaised(rule) ? states[rule].raisedAt : nil }

    /// After `evaluate`: the earliest time (ms) at which a pending rule's on-delay or a clearing
    /// rule's off-delay ends, `Int64.max` when none runs. Evaluating then (with the same inputs)
    /// raises or clears on time instead of at the next sample.
    public private(set) var nextDeadline: Int64 = Int64.max

    /// Evaluates every rule at `now`, calling `transition` for each raise or clear.
    public mutating func evaluate(at now: WallTime, inputs: AlarmInputs, _ transition: (AlarmTransition) -> Void) {
        var next = Int64.max
        for r in 0..<states.count {
            if let t = advance(r, at: now, inputs: inputs, deadline: &next) { transition(t) }
        }
        nextDeadline = next
    }

    /// Evaluates rule `r` at `now`; the raise or clear this causes, if any.
    public mutating func step(_ r: Int, at now: WallTime, inputs: AlarmInputs) -> AlarmTransition? {
        var unused = Int64.max
        return advance(r, at: now, inputs: inputs, deadline: &unused)
    }

    /// `step`, lowering `deadline` to the end of the rule's on- or off-delay when it is left
    /// pending or clearing.
    @inline(__always)
    mutating func advance(_ r: Int, at now: WallTime, inputs: AlarmInputs, deadline: inout Int64) -> AlarmTransition? {
        guard r >= 0, r < states.count else { return nil }
        let rule = rules.rules[r]
        var s = states[r]
        let t = now.milliseconds
        let held = s.state == .active || s.state == .clearing || (s.state == .unknown && s.heldWhileUnknown)
        let met = condition(rule, &s, held: held, now: t, inputs)
        var out: AlarmTransition? = nil
        switch met {
        case nil:
            if s.state != .unknown {
                s.heldWhileUnknown = held
                s.state = .unknown
            }
        case true?:
            switch s.state {
            case .normal:
                s.state = .pending
                s.since = t
            case .unknown:
                if s.heldWhileUnknown {
                    s.state = .active
                    s.since = s.raisedAt
                } else {
                    s.state = .pending
                    s.since = t
                }
            case .clearing:
                s.state = .active
                s.since = s.raisedAt
            case .pending, .active:
                break
            }
            if s.state == .pending, t &- s.since >= Int64(rule.onDelayMilliseconds) {
                s.state = .active
                s.raisedAt = s.since
                out = AlarmTransition(rule: r, kind: .raise, timeMilliseconds: s.since)
            }
        case false?:
            switch s.state {
            case .pending:
                s.state = .normal
            case .active:
                s.state = .clearing
                s.since = t
            case .unknown:
                if s.heldWhileUnknown {
                    s.state = .clearing
                    s.since = t
                } else {
                    s.state = .normal
                }
            case .normal, .clearing:
                break
            }
            if s.state == .clearing, t &- s.since >= Int64(rule.offDelayMilliseconds) {
                s.state = .normal
                out = AlarmTransition(rule: r, kind: .clear, timeMilliseconds: s.since)
            }
        }
        if s.state != .unknown { s.heldWhileUnknown = false }
        if s.state == .pending {
            deadline = min(deadline, s.since &+ Int64(rule.onDelayMilliseconds))
        } else if s.state == .clearing {
            deadline = min(deadline, s.since &+ Int64(rule.offDelayMilliseconds))
        }
        states[r] = s
        return out
    }

    /// Whether the rule's condition is met at `now`, nil when it cannot be evaluated.
    func condition(_ rule: AlarmRule, _ s: inout AlarmRuleState, held: Bool, now: Int64, _ inputs: AlarmInputs) -> Bool? {
        switch rule.kind {
        case .expression, .above, .below:
            let r = rules.code.evaluate(rule.code, values: inputs.values, qualities: inputs.qualities)
            guard r.isGood else { return nil }
            switch rule.kind {
            case .above: return r.value > (held ? rule.limit - rule.hysteresis : rule.limit)
            case .below: return r.value < (held ? rule.limit + rule.hysteresis : rule.limit)
            default: return r.value != 0
            }
        case .rateOfChange, .stateChange:
            let slot = Int(rule.slot)
            guard slot < inputs.values.count, slot < inputs.qualities.count, slot < inputs.times.count else { return nil }
            let v = inputs.values[slot]
            guard inputs.qualities[slot] == .good, v.isFinite else { return nil }
            let time = inputs.times[slot]
            if time != s.previousTime || !s.hasPrevious {
                if s.hasPrevious {
                    if rule.kind == .stateChange {
                        s.lastMet = v != s.previousValue
                    } else {
                        let dt = time &- s.previousTime
                        s.lastMet = dt > 0 && abs(v - s.previousValue) * 1000 > rule.limit * Double(dt)
                    }
                }
                s.previousValue = v
                s.previousTime = time
                s.hasPrevious = true
            }
            return s.lastMet
        case .stale:
            let slot = Int(rule.slot)
            guard slot < inputs.times.count else { return nil }
            var last = inputs.times[slot]
            if last == Int64.min {
                // Never seen: stale once the limit has passed since the rule first looked.
                if s.previousTime == Int64.min { s.previousTime = now }
                last = s.previousTime
            }
            return Double(now &- last) > rule.limit
        case .offline:
            let d = Int(rule.device)
            guard d < inputs.online.count else { return nil }
            return !inputs.online[d]
        }
    }

    /// Puts the alarms `recovery` found active (after a restart) back into the active state,
    /// raised at the time their record carries, so that they are not raised a second time and
    /// clear with the right time.
    public mutating func restore(_ recovery: AlarmRecovery) {
        for r in 0..<min(states.count, recovery.raisedAt.count) {
            guard let at = recovery.raisedAt[r] else { continue }
            states[r] = AlarmRuleState()
            states[r].state = .active
            states[r].since = at
            states[r].raisedAt = at
        }
    }
}
