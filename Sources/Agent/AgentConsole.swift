import CShim
import Console
import EdgeCore
import FieldBus
import Logging
import RingLog
import Configuration
import CloudLink

/// What the runner does after the console had its turn.
public enum AgentConsoleAction: Equatable, Sendable {
    case none
    /// `reboot` was typed: stop cleanly (sync, disconnect), then restart the board
    /// (`RebootMethod`: exit with `OTAExitStatus.rebootRequested` on the qemu boards and hosts).
    case reboot
}

/// The technician's serial console inside `edge-agent run`: a `ConsoleSession` on the configured
/// terminal (the board's console tty, a tty path, or stdin/stdout) answering from the running
/// agent: `status`, `buses`, `devices`, `points`, `read`/`write` for commissioning, `log`,
/// `mqtt`, `config`, `reboot`, `ota …` (answered by the OTA code: `takeOTARequest`, `completeOTA`).
///
/// Driven from the runner's loop around `AgentLoop.turn`: `prepare` puts the console's
/// descriptors into the loop's poll(2) and says how long the loop may wait, `serve` handles what
/// poll reported, runs typed commands and finishes pending ones (a `read` waits for the point's
/// next sample, a `write` goes through the bus worker's queue, ahead of polls, and shows its
/// result when it arrives; `buses` and `devices` wait for fresh statistics; `trace` shows the
/// steps of one point as the loop records them, until Ctrl-C). Nothing here
/// blocks the loop; output the terminal does not take is dropped and counted by the session.
/// Every registered secret (device secrets, console password, TLS key passphrase) is masked in
/// everything shown. Without a console in the configuration, or when its terminal cannot be
/// opened (logged), every call does nothing.
public struct AgentConsole<Clock: EdgeClock>: ~Copyable {
    var session: ConsoleSession<Clock>?
    /// Hooks and the state of pending commands, shared with the backend of each `serve`.
    public let state: AgentConsoleState
    let clock: Clock
    let logger: Logger
    var reportedClosed = false
    /// The figures the commands show, filled by the loop (made at the first `serve`).
    var snapshot: AgentSnapshot? = nil
    /// Writes, reads and statistics requests for the loop to answer.
    public let port = AgentCommandPort()

    /// A console on `terminal` (nil: none); `configLines` is what `config` shows (masked).
    public init(terminal: consuming ConsoleTerminal?, options: ConsoleOptions, clock: Clock, logger: Logger,
                configLines: [String]) {
        self.clock = clock
        self.logger = logger
        state = AgentConsoleState(configLines: configLines)
        if let terminal = terminal.take() {
            session = ConsoleSession(terminal: terminal, options: options, clock: clock, logger: logger)
        } else {
            session = nil
        }
    }

    /// Opens the console the settings ask for: `stdin` (stdin/stdout), `tty` (the settings'
    /// device, else `boardTTY`, the board's console), or none. A terminal that cannot be opened
    /// is logged and the agent runs without a console (the data path does not depend on it).
    public static func open(_ settings: ConsoleSettings, boardTTY: (path: String, baud: Int?)?, clock: Clock,
                            logger: Logger, configLines: [String]) -> AgentConsole<Clock> {
        let options = ConsoleOptions(password: settings.password, idleLogoutMilliseconds: settings.idleLogoutMilliseconds)
        var terminal: ConsoleTerminal? = nil
        switch settings.input {
        case .none:
            break
        case .stdin:
            do throws(ConsoleError) {
                terminal = try ConsoleTerminal.standardStreams()
            } catch {
                logger.log(.error, "console", error.message)
            }
        case .tty(let device):
            let path = device ?? boardTTY?.path
            if let path {
                do throws(ConsoleError) {
                    terminal = try ConsoleTerminal.openTTY(path: path, baud: device == nil ? boardTTY?.baud : nil)
                    logger.log(.info, "console", "on " + path)
                } catch {
                    logger.log(.error, "console", path + ": " + error.message + "; running without a console")
                }
            } else {
                logger.log(.error, "console", "input \"tty\" needs console.device or a board file (--board); running without a console")
            }
        }
        return AgentConsole(terminal: terminal.take(), options: options, clock: clock, logger: logger, configLines: configLines)
    }

    /// True when a session is running on a terminal.
    public var isActive: Bool { session != nil }

    /// Whether the OTA code answers `ota status|install|mark-good` (else they say OTA is not set
    /// up in this run). When true, after each `serve` the runner takes the request with
    /// `takeOTARequest()` and answers it with `completeOTA`.
    public var answersOTA: Bool {
        get { state.otaAvailable }
        set { state.otaAvailable = newValue }
    }

    /// The `ota …` command typed in this turn, if any (returned once).
    public mutating func takeOTARequest() -> AgentConsoleOTARequest? {
        let request = state.otaRequest
        state.otaRequest = nil
        return request
    }

    /// Shows the answer to the `ota …` command taken with `takeOTARequest()`, then the prompt
    /// (progress of an install goes through `notice` afterwards).
    public mutating func completeOTA(_ body: (inout TextWriter) -> Void) {
        guard case .ota = state.pending else { return }
        session?.completePending(body)
        state.clearPending()
    }

    /// The bundle path of the `config apply PATH` typed in this turn, if any (returned once).
    public mutating func takeConfigApplyRequest() -> String? {
        let path = state.configApplyPath
        state.configApplyPath = nil
        return path
    }

    /// Shows the answer to `config apply PATH`, then the prompt; `flush` first when the agent
    /// restarts right after (the terminal is opened again by the next run).
    public mutating func completeConfigApply(flush: Bool = false, _ body: (inout TextWriter) -> Void) {
        guard case .configApply = state.pending else { return }
        session?.completePending(body)
        state.clearPending()
        if flush { session?.flush() }
    }

    /// Shows lines that did not come from a command (OTA progress), without disturbing the line
    /// being typed; nothing before the password was given.
    public mutating func notice(_ body: (inout TextWriter) -> Void) {
        session?.notice(body)
    }

    /// Before a turn: sets the loop's console poll entries; returns the longest the loop may
    /// wait (the console's next timer or pending command deadline, at most `maximum` ms).
    public mutating func prepare<Device: FlashDevice & ~Copyable, Uplink: AgentUplink & ~Copyable>(
        _ loop: inout AgentLoop<Device, Clock, Uplink>, maximum: Int = 1000
    ) -> Int {
        guard session != nil else {
            loop.consolePoll = AgentLoop<Device, Clock, Uplink>.noConsole
            return maximum
        }
        let request = session!.pollRequest()
        loop.consolePoll.input = pollfd(fd: request.input.descriptor, events: request.input.events, revents: 0)
        loop.consolePoll.output = pollfd(fd: request.output.descriptor, events: request.output.events, revents: 0)
        var wait = maximum
        if request.timeoutMilliseconds >= 0 { wait = min(wait, request.timeoutMilliseconds) }
        if port.hasRequests { wait = 0 }
        if let deadline = state.pendingDeadline {
            let now = clock.monotonicNow()
            wait = min(wait, deadline <= now ? 0 : Int(clamping: (deadline.nanoseconds(since: now) + 999_999) / 1_000_000))
        }
        return max(0, wait)
    }

    /// After a turn: reads and runs what was typed, finishes pending commands whose answer came
    /// (or whose time ran out). Returns what the runner must do.
    public mutating func serve<Device: FlashDevice & ~Copyable, Uplink: AgentUplink & ~Copyable>(
        _ loop: inout AgentLoop<Device, Clock, Uplink>
    ) -> AgentConsoleAction {
        guard var current = session.take() else { return .none }
        let input = loop.consolePoll.input
        let output = loop.consolePoll.output
        let state = self.state
        // The loop answers what earlier turns asked (their outcomes may have arrived since), and
        // copies out its figures when a command may be typed or is waiting for them.
        loop.answer(port)
        if input.revents != 0 || output.revents != 0 || state.pending != nil {
            if snapshot == nil { snapshot = loop.makeSnapshot() }
            loop.fillSnapshot(&snapshot!)
        }
        if let snapshot {
            serve(&current, snapshot: snapshot, input: input, output: output) { loop.answer(self.port) }
        }
        if current.state == .closed && !reportedClosed {
            reportedClosed = true
            logger.log(.warning, "console", "terminal closed (end of input or hangup); the agent keeps running")
        }
        var action = AgentConsoleAction.none
        if state.rebootRequested {
            state.rebootRequested = false
            current.flush()
            action = .reboot
        }
        session = consume current
        return action
    }

    /// Runs what was typed and finishes the pending command against `snapshot`; `answer` lets the
    /// loop take the requests just queued before the pending command is checked.
    private func serve(_ current: inout ConsoleSession<Clock>, snapshot: AgentSnapshot, input: pollfd, output: pollfd,
                       answer: () -> Void) {
        var backend = AgentConsoleBackend(snapshot: snapshot, port: port, state: state, clock: clock)
        if input.revents != 0 { current.handle(descriptor: input.fd, revents: input.revents, backend: &backend) }
        if output.revents != 0 { current.handle(descriptor: output.fd, revents: output.revents, backend: &backend) }
        if state.pending != nil {
            if port.hasRequests { answer() }
            if current.state == .pending {
                if backend.hasTraceSteps { current.notice { out in backend.writeTraceSteps(into: &out) } }
                if backend.pendingIsAnswered() {
                    current.completePending { out in backend.writePendingAnswer(into: &out) }
                    state.clearPending()
                }
            } else {
                backend.stopTrace()
                state.clearPending()   // Ctrl-C, or the terminal went away
            }
        }
    }
}
