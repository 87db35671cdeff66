import EdgeCore
import Logging

/// Where the technician's console reads and writes: nowhere, the process's stdin/stdout, or a tty
/// (the board's console tty when `device` is nil). An optional password guards it; a session
/// with a password is logged out after `idleLogoutMilliseconds` without input.
public struct ConsoleSettings: Equatable, Sendable {
    public enum Input: Equatable, Sendable {
        case none
        case stdin
        case tty(device: String?)
    }

    public var input: Input
    public var password: String?
    public var idleLogoutMilliseconds: UInt64

    public init(input: Input = .none, password: String? = nil, idleLogoutMilliseconds: UInt64 = 600_000) {
        self.input = input
        self.password = password
        self.idleLogoutMilliseconds = idleLogoutMilliseconds
    }

    static let keys = ["input", "device", "password", "idleLogoutSeconds"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> ConsoleSettings? {
        guard let o else { return ConsoleSettings() }
        let before = v.errors.count
        let mode = v.choice(in: o, "input", required: false, ["none", "stdin", "tty"]) ?? "none"
        let device = v.string(in: o, "device", required: false)
        let password = v.string(in: o, "password", required: false)
        let idle = v.integer(in: o, "idleLogoutSeconds", required: false, range: 0...86_400) ?? 600
        if mode != "tty", let m = o.member("device") {
            v.report("\"device\" applies only to input \"tty\"", at: o.path.key("device"), m.keyLocation)
        }
        guard v.errors.count == before else { return nil }
        let input: Input = mode == "stdin" ? .stdin : mode == "tty" ? .tty(device: device) : .none
        return ConsoleSettings(input: input, password: password, idleLogoutMilliseconds: UInt64(idle) * 1000)
    }
}

/// The `logging` section: the least severe level written (`LogSeverity` of the Logging module,
/// the one logging implementation), and where to (stderr or syslog). Every line also goes into
/// the console's `log` history, and every registered secret is masked (see `AgentSecrets`).
public struct LoggingSettings: Equatable, Sendable {
    public enum Output: Equatable, Sendable { case stderr, syslog }
    public var level: LogSeverity
    public var output: Output
    /// Lines the console's `log` command can show.
    public var historyLines: Int

    public init(level: LogSeverity = .info, output: Output = .stderr, historyLines: Int = 200) {
        self.level = level
        self.output = output
        self.historyLines = historyLines
    }

    static let keys = ["level", "output", "historyLines"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> LoggingSettings? {
        guard let o else { return LoggingSettings() }
        let before = v.errors.count
        let level = v.choice(in: o, "level", required: false, ["error", "warning", "info", "debug"]) ?? "info"
        let output = v.choice(in: o, "output", required: false, ["stderr", "syslog"]) ?? "stderr"
        let history = v.integer(in: o, "historyLines", required: false, range: 1...10_000) ?? 200
        guard v.errors.count == before else { return nil }
        let l: LogSeverity = level == "error" ? .error : level == "warning" ? .warning : level == "debug" ? .debug : .info
        return LoggingSettings(level: l, output: output == "syslog" ? .syslog : .stderr, historyLines: Int(history))
    }
}

/// The `control` section: how long a cloud command may wait for its bus before it expires, and
/// whether writes are read back and compared by default.
public struct ControlSettings: Equatable, Sendable {
    public var commandTTLMilliseconds: UInt64
    public var readBack: Bool
    /// Cloud commands whose writes can be under way at once (more are answered busy).
    public var commandsInFlight: Int

    public static let keys = ["commandTtlMs", "readBack", "commandsInFlight"]

    public init(commandTTLMilliseconds: UInt64 = 30_000, readBack: Bool = false, commandsInFlight: Int = 16) {
        self.commandTTLMilliseconds = commandTTLMilliseconds
        self.readBack = readBack
        self.commandsInFlight = commandsInFlight
    }

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> ControlSettings? {
        guard let o else { return ControlSettings() }
        let before = v.errors.count
        let ttl = v.integer(in: o, "commandTtlMs", required: false, range: 100...3_600_000) ?? 30_000
        let readBack = v.bool(in: o, "readBack", required: false) ?? false
        let inFlight = v.integer(in: o, "commandsInFlight", required: false, range: 1...1_024) ?? 16
        guard v.errors.count == before else { return nil }
        return ControlSettings(commandTTLMilliseconds: UInt64(ttl), readBack: readBack, commandsInFlight: Int(inFlight))
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
