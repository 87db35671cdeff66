import EdgeCore

/// Where the technician's console reads and writes: nowhere, the process's stdin/stdout, or a tty
/// (the board's console tty when `device` is nil). An optional password guards it.
public struct ConsoleSettings: Equatable, Sendable {
    public enum Input: Equatable, Sendable {
        case none
        case stdin
        case tty(device: String?)
    }

    public var input: Input
    public var password: String?

    public init(input: Input = .none, password: String? = nil) {
        self.input = input
        self.password = password
    }

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> ConsoleSettings? {
        guard let o else { return ConsoleSettings() }
        let before = v.errors.count
        let mode = v.choice(in: o, "input", required: false, ["none", "stdin", "tty"]) ?? "none"
        let device = v.string(in: o, "device", required: false)
        let password = v.string(in: o, "password", required: false)
        if mode != "tty", let m = o.member("device") {
            v.report("\"device\" applies only to input \"tty\"", at: o.path.key("device"), m.keyLocation)
        }
        guard v.errors.count == before else { return nil }
        let input: Input = mode == "stdin" ? .stdin : mode == "tty" ? .tty(device: device) : .none
        return ConsoleSettings(input: input, password: password)
    }
}

/// Log verbosity, most severe first.
public enum LogLevel: Int, Comparable, Sendable {
    case error = 0, warning, info, debug

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var name: String {
        switch self {
        case .error: return "error"
        case .warning: return "warning"
        case .info: return "info"
        case .debug: return "debug"
        }
    }
}

/// The `logging` section: the least severe level written, and where to (stderr or syslog).
public struct LoggingSettings: Equatable, Sendable {
    public enum Output: Equatable, Sendable { case stderr, syslog }
    public var level: LogLevel
    public var output: Output

    public init(level: LogLevel = .info, output: Output = .stderr) {
        self.level = level
        self.output = output
    }

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> LoggingSettings? {
        guard let o else { return LoggingSettings() }
        let before = v.errors.count
        let level = v.choice(in: o, "level", required: false, ["error", "warning", "info", "debug"]) ?? "info"
        let output = v.choice(in: o, "output", required: false, ["stderr", "syslog"]) ?? "stderr"
        guard v.errors.count == before else { return nil }
        let l: LogLevel = level == "error" ? .error : level == "warning" ? .warning : level == "debug" ? .debug : .info
        return LoggingSettings(level: l, output: output == "syslog" ? .syslog : .stderr)
    }
}

/// The `control` section: how long a cloud command may wait for its bus before it expires, and
/// whether writes are read back and compared by default.
public struct ControlSettings: Equatable, Sendable {
    public var commandTTLMilliseconds: UInt64
    public var readBack: Bool

    public init(commandTTLMilliseconds: UInt64 = 30_000, readBack: Bool = false) {
        self.commandTTLMilliseconds = commandTTLMilliseconds
        self.readBack = readBack
    }

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> ControlSettings? {
        guard let o else { return ControlSettings() }
        let before = v.errors.count
        let ttl = v.integer(in: o, "commandTtlMs", required: false, range: 100...3_600_000) ?? 30_000
        let readBack = v.bool(in: o, "readBack", required: false) ?? false
        guard v.errors.count == before else { return nil }
        return ControlSettings(commandTTLMilliseconds: UInt64(ttl), readBack: readBack)
    }
}

/// The `status` section: how often the gateway reports its own figures as measurepoints, and
/// the firmware version and slot it reports.
public struct StatusSettings: Equatable, Sendable {
    public var intervalMilliseconds: UInt64

    public init(intervalMilliseconds: UInt64 = 60_000) {
        self.intervalMilliseconds = intervalMilliseconds
    }

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> StatusSettings? {
        guard let o else { return StatusSettings() }
        let before = v.errors.count
        let interval = v.integer(in: o, "intervalMs", required: false, range: 1_000...86_400_000) ?? 60_000
        guard v.errors.count == before else { return nil }
        return StatusSettings(intervalMilliseconds: UInt64(interval))
    }
}
