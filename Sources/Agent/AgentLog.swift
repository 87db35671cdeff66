import CShim
import EdgeCore

/// The agent's log: lines with a level to stderr (`<level>: text`) or to syslog, dropped below
/// the configured level. Secrets must never be passed in (the configuration's `maskedLines` is
/// what may be logged of it). Logging happens on events (connects, commands, errors), never per
/// sample, so building the line's String is not on the steady-state path.
public struct AgentLog: Sendable {
    public var level: LogLevel
    public var output: LoggingSettings.Output
    /// Every line also goes here when set (the console's `log` command keeps the recent ones).
    public var recent: RecentLines?

    public init(_ settings: LoggingSettings, recent: RecentLines? = nil) {
        level = settings.level
        output = settings.output
        self.recent = recent
        if output == .syslog { edge_agent_openlog() }
    }

    public func error(_ text: @autoclosure () -> String) { write(.error, text) }
    public func warning(_ text: @autoclosure () -> String) { write(.warning, text) }
    public func info(_ text: @autoclosure () -> String) { write(.info, text) }
    public func debug(_ text: @autoclosure () -> String) { write(.debug, text) }

    func write(_ l: LogLevel, _ text: () -> String) {
        guard l <= level else { return }
        let line = text()
        recent?.append(l.name + ": " + line)
        switch output {
        case .stderr: StandardOutput.errorLine(l.name + ": " + line)
        case .syslog: line.withCString { edge_agent_syslog(Int32(l.rawValue), $0) }
        }
    }
}

/// The last lines logged, for the console's `log` command: a fixed number of slots, the oldest
/// overwritten.
public final class RecentLines: @unchecked Sendable {
    var lines: [String]
    var next = 0
    public private(set) var total = 0

    public init(capacity: Int) { lines = [String](repeating: "", count: max(capacity, 1)) }

    public func append(_ line: String) {
        lines[next] = line
        next = (next + 1) % lines.count
        total += 1
    }

    /// The kept lines, oldest first.
    public var all: [String] {
        var out: [String] = []
        let n = min(total, lines.count)
        for i in 0..<n { out.append(lines[(next - n + i + lines.count) % lines.count]) }
        return out
    }
}
