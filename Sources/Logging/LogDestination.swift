/// Where a `Logger` writes its lines.
public enum LogDestination: Equatable, Sendable {
    /// Standard error, one line per record with the UTC time first.
    case standardError
    /// syslog(3) (facility daemon) under this identity; syslog adds its own time.
    case syslog(identity: StaticString)
    /// Any open descriptor (a file, a pipe in tests), formatted as for standard error.
    case descriptor(Int32)
    /// Only the history ring (for tests, or when the console is the only reader).
    case none

    public static func == (a: LogDestination, b: LogDestination) -> Bool {
        switch (a, b) {
        case (.standardError, .standardError), (.none, .none): return true
        case (.descriptor(let x), .descriptor(let y)): return x == y
        case (.syslog(let x), .syslog(let y)):
            return x.utf8CodeUnitCount == y.utf8CodeUnitCount && x.utf8Start == y.utf8Start
        default: return false
        }
    }
}
