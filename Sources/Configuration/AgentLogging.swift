import EdgeCore
import Logging

/// The agent logs through the Logging module's `Logger` (one implementation for the agent, the
/// console's audit lines and the `log` command's history). These helpers build it from the
/// configuration and keep the agent's event messages short to write: `log.info("device m1
/// online")` goes out under the subsystem `agent`, and the text is composed only when the level
/// is enabled (the closure is not called otherwise). Log lines are written on events (connects,
/// commands, errors), never per sample.
extension Logger {
    /// The agent's logger: `settings.level` and output (stderr or syslog as `edge-agent`), every
    /// secret in `secrets` masked, the last `settings.historyLines` lines kept in `history` (the
    /// console's `log` command), wall time from `clock`.
    public static func agent<C: EdgeClock>(_ settings: LoggingSettings, clock: C, secrets: SecretRegistry,
                                           history: LogHistory?) -> Logger {
        let destination: LogDestination = settings.output == .syslog ? .syslog(identity: "edge-agent") : .standardError
        return Logger.make(threshold: settings.level, destination: destination, clock: clock, secrets: secrets,
                           history: history)
    }

    /// A logger for `settings` with its own (empty) secret registry and a default history
    /// (tests and tools; the agent uses `agent(_:clock:secrets:history:)`).
    public convenience init(_ settings: LoggingSettings) {
        let clock = SystemClock()
        self.init(threshold: settings.level,
                  destination: settings.output == .syslog ? .syslog(identity: "edge-agent") : .standardError,
                  wallClock: { clock.wallNow() }, secrets: SecretRegistry(),
                  history: LogHistory(lineCapacity: settings.historyLines))
    }

    public func error(_ text: @autoclosure () -> String) { agentLine(.error, text) }
    public func warning(_ text: @autoclosure () -> String) { agentLine(.warning, text) }
    public func info(_ text: @autoclosure () -> String) { agentLine(.info, text) }
    public func debug(_ text: @autoclosure () -> String) { agentLine(.debug, text) }

    func agentLine(_ severity: LogSeverity, _ text: () -> String) {
        guard isEnabled(severity) else { return }
        log(severity, "agent", text())
    }
}

/// The former name of the agent's logger, kept while callers move to `Logger`.
public typealias AgentLog = Logger
