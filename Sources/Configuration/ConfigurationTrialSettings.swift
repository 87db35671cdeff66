import EdgeCore

/// The `configTrial` section: how long a configuration applied from a bundle has, after the
/// agent restarted on it, to bring the uplink up and have every bus poll successfully before
/// the previous configuration is put back (BUNDLE.md "Trial and rollback"). The configuration on
/// trial decides its own deadline.
public struct ConfigurationTrialSettings: Equatable, Sendable {
    public var deadlineMilliseconds: UInt64

    public init(deadlineMilliseconds: UInt64 = 300_000) {
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    static let keys = ["deadlineMs"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> ConfigurationTrialSettings? {
        guard let o else { return ConfigurationTrialSettings() }
        let before = v.errors.count
        let deadline = v.integer(in: o, "deadlineMs", required: false, range: 1_000...86_400_000) ?? 300_000
        guard v.errors.count == before else { return nil }
        return ConfigurationTrialSettings(deadlineMilliseconds: UInt64(deadline))
    }
}
