import EdgeCore

/// The new firmware's proof of health after an update, against a deadline on the injected
/// monotonic clock: the configuration loads, the ring log opens, the uplink connects and at
/// least one poll succeeds. The agent records each condition as it happens and asks for the
/// verdict on each loop turn: `healthy` → mark good (and report step 100 on a trial);
/// `deadlineMissed` → exit without marking good, so the bootloader's counter runs on and,
/// when it runs out, the old slot comes back. Pure; never allocates.
public struct HealthCheck: Sendable {
    /// The conditions of a healthy start.
    public struct Conditions: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let configLoaded = Conditions(rawValue: 1)
        public static let ringLogOpen = Conditions(rawValue: 2)
        public static let uplinkConnected = Conditions(rawValue: 4)
        public static let pollSucceeded = Conditions(rawValue: 8)
        public static let all: Conditions = [.configLoaded, .ringLogOpen, .uplinkConnected, .pollSucceeded]

        /// "config, ring log, uplink, poll" for the ones in the set.
        public var names: String {
            var out = ""
            for (c, name) in [(Conditions.configLoaded, "config"), (.ringLogOpen, "ring log"), (.uplinkConnected, "uplink"),
                              (.pollSucceeded, "poll")] where contains(c) {
                if !out.isEmpty { out += ", " }
                out += name
            }
            return out
        }
    }

    public enum Verdict: Equatable, Sendable {
        case pending
        case healthy
        case deadlineMissed(missing: Conditions)
    }

    public let deadline: MonotonicInstant
    public let required: Conditions
    public private(set) var met: Conditions = []
    private var decided: Verdict? = nil

    public init(start: MonotonicInstant, timeoutMilliseconds: UInt64, required: Conditions = .all) {
        deadline = start.advanced(byMilliseconds: timeoutMilliseconds)
        self.required = required
    }

    /// Records conditions that now hold. Ignored once the verdict is final.
    public mutating func record(_ conditions: Conditions) {
        guard decided == nil else { return }
        met.formUnion(conditions)
    }

    /// The verdict at `now`; `healthy` and `deadlineMissed` are final.
    public mutating func verdict(now: MonotonicInstant) -> Verdict {
        if let decided { return decided }
        if met.isSuperset(of: required) {
            decided = .healthy
        } else if now >= deadline {
            decided = .deadlineMissed(missing: required.subtracting(met))
        }
        return decided ?? .pending
    }
}
