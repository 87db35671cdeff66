/// How serious a log record is, most severe first; a logger writes the records at or above its
/// threshold. Maps onto syslog priorities (error 3, warning 4, info 6, debug 7).
public enum LogSeverity: Int, Comparable, Sendable {
    case error = 0, warning, info, debug

    public static func < (a: LogSeverity, b: LogSeverity) -> Bool { a.rawValue < b.rawValue }

    /// Lower-case name as in configs and log lines.
    public var name: StaticString {
        switch self {
        case .error: return "error"
        case .warning: return "warning"
        case .info: return "info"
        case .debug: return "debug"
        }
    }

    /// The syslog(3) priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG).
    public var syslogPriority: Int32 {
        switch self {
        case .error: return 3
        case .warning: return 4
        case .info: return 6
        case .debug: return 7
        }
    }
}
