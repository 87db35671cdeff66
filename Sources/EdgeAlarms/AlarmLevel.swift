/// How serious an alarm is: the default alert severities of the EnOS alert engine, least serious
/// first. EnOS lets an organisation define its own severities; the name is what the event's
/// `level` output carries, the raw value what records and the status counts use.
public enum AlarmLevel: UInt8, CaseIterable, Equatable, Sendable {
    case info = 1
    case warning = 2
    case minor = 3
    case major = 4
    case critical = 5

    /// The name in the configuration and in the event (`"major"`).
    public var name: StaticString {
        switch self {
        case .info: return "info"
        case .warning: return "warning"
        case .minor: return "minor"
        case .major: return "major"
        case .critical: return "critical"
        }
    }

    /// The names, in the order of the cases (for configuration errors).
    public static let names = ["info", "warning", "minor", "major", "critical"]

    /// The level called `name`, or nil.
    public init?(name: String) {
        guard let i = AlarmLevel.names.firstIndex(of: name) else { return nil }
        self = AlarmLevel.allCases[i]
    }
}
