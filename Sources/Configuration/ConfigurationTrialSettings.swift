import EdgeCore

/// The `configTrial` section: how long a configuration applied from a bundle has, after the
/// agent restarted on it, to bring the uplink up and have every bus poll successfully before
/// the previous configuration is put back (BUNDLE.md "Trial and rollback"). The configuration on
/// trial decides its own deadline.
public struct ConfigurationTrialSettings: Equatable, Sendable {
    public var deadlineMilliseconds: UInt64
    /// Starts allowed on the configuration on trial before it fails: the agent crashing or
    /// being killed on it (a watchdog reset, systemd's restart) starts it again, each time with
    /// a full deadline; the start after this many fails the trial at once.
    public var maximumStarts: Int

    public init(deadlineMilliseconds: UInt64 = 300_000, maximumStarts: Int = 3) {
        self.deadlineMilliseconds = deadlineMilliseconds
        self.maximumStarts = maximumStarts
    }

    static let keys = ["deadlineMs", "maximumStarts"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> ConfigurationTrialSettings? {
        guard let o else { return ConfigurationTrialSettings() }
        let before = v.errors.count
        let deadline = v.integer(in: o, "deadlineMs", required: false, range: 1_000...86_400_000) ?? 300_000
        let starts = v.integer(in: o, "maximumStarts", required: false, range: 1...100) ?? 3
        guard v.errors.count == before else { return nil }
        return ConfigurationTrialSettings(deadlineMilliseconds: UInt64(deadline), maximumStarts: Int(starts))
    }
}
