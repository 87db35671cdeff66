import CShim
import EdgeCore
import Logging

/// The technician's diagnostics shell on one terminal, driven by the agent's poll loop like
/// `MQTTClient`: `pollRequest()` says what to poll, `handle(descriptor:revents:backend:)` reads
/// keystrokes, runs finished command lines against the backend and writes what it can.
///
/// Guarantees:
/// - never blocks: input and output descriptors are non-blocking; output goes through a fixed
///   ring, and when the terminal does not read, what does not fit is dropped and counted
///   (`droppedOutputBytes`), never waited for;
/// - no allocation after `init` for keystrokes, command lines and the commands' output (the
///   backend's own writing aside);
/// - every registered secret is masked in everything a command or notice prints;
/// - with a password: nothing runs before it is typed (no echo, compared in constant time);
///   `maxAttempts` wrong ones lock the console for `lockoutMilliseconds` of the injected clock;
///   idle sessions are logged out; `logout` locks it again. The password is registered as a
///   secret, so it is masked wherever it would be shown or logged.
///
/// In the agent's loop (one poll(2) for everything):
///
///     let request = console.pollRequest()          // add request.input / request.output
///     ...                                          // (descriptor -1: leave out) to the pollfds,
///     poll(fds, n, min(timeout, request.timeoutMilliseconds))
///     console.handle(descriptor: fd, revents: revents, backend: &backend)  // for each console fd
///     console.notice { out in OTAConsole.progress(report, into: &out) }    // any time
public struct ConsoleSession<Clock: EdgeClock>: ~Copyable {
    /// Where the session is.
    public enum State: Equatable, Sendable {
        /// Waiting for the password.
        case password
        /// Too many wrong passwords: input is thrown away until the lockout ends.
        case lockedOut
        /// At the prompt.
        case ready
        /// A command's answer is on its way (`completePending`); Ctrl-C abandons it.
        case pending
        /// The terminal went away (end of input, hangup): nothing more is read.
        case closed
    }

    public private(set) var state: State
    /// Command lines run (including unknown ones).
    public private(set) var commandsRun: UInt64 = 0
    /// Lines whose first word was no command.
    public private(set) var unknownCommands: UInt64 = 0
    /// Wrong passwords typed.
    public private(set) var failedLogins: UInt64 = 0
    /// Lockouts after too many wrong passwords.
    public private(set) var lockouts: UInt64 = 0

    private let terminal: ConsoleTerminal
    private var editor: LineEditor
    private var out: ConsoleOutputBuffer
    private let password: ConsolePassword
    private let hasPassword: Bool
    private let clock: Clock
    private let secrets: SecretRegistry?
    private let history: LogHistory?
    private let logger: Logger?
    private let options: ConsoleOptions
    private let commandBuffer: UnsafeMutableRawBufferPointer
    private let echoBuffer: UnsafeMutableRawBufferPointer
    private let inputBuffer: UnsafeMutableRawBufferPointer
    private let promptBytes: [UInt8]
    private let bannerBytes: [UInt8]
    private var failedAttempts = 0
    private var lockedUntil = MonotonicInstant(nanoseconds: 0)
    private var lastInput: MonotonicInstant

    /// A session on `terminal`; shows the banner and the first prompt (or the password prompt).
    /// `secrets` masks output and `history` feeds the `log` command (both default to the
    /// logger's); `logger` records logins, lockouts and the commands that change something
    /// (`write`, `reboot`, `ota install`, `ota mark-good`) for audit.
    public init(terminal: consuming ConsoleTerminal, options: ConsoleOptions, clock: Clock,
                secrets: SecretRegistry? = nil, history: LogHistory? = nil, logger: Logger? = nil) {
        self.terminal = terminal
        self.options = options
        self.clock = clock
        self.secrets = secrets ?? logger?.secrets
        self.history = history ?? logger?.history
        self.logger = logger
        if let password = options.password, !password.isEmpty {
            (secrets ?? logger?.secrets)?.register(password)
        }
        editor = LineEditor(capacity: options.lineCapacity)
        out = ConsoleOutputBuffer(capacity: options.outputCapacity)
        password = ConsolePassword(options.password ?? "")
        hasPassword = options.password != nil
        commandBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(256, options.commandOutputCapacity), alignment: 1)
        echoBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: LineEditor.maximumEchoBytes(capacity: options.lineCapacity), alignment: 1)
        inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
        promptBytes = Array(options.prompt.utf8)
        bannerBytes = Array(options.banner.utf8)
        lastInput = clock.monotonicNow()
        state = hasPassword ? .password : .ready
        bannerBytes.withUnsafeBytes { emitRaw($0) }
        emitRaw("\n")
        showPrompt()
    }

    deinit {
        commandBuffer.deallocate()
        echoBuffer.deallocate()
        inputBuffer.deallocate()
    }

    /// Output bytes dropped because the terminal did not keep up.
    public var droppedOutputBytes: UInt64 { out.droppedBytes }
    /// Output bytes waiting for the terminal.
    public var queuedOutputBytes: Int { out.count }

    // MARK: The poll loop

    /// Runs the timers (lockout end, idle logout) and says what to poll.
    public mutating func pollRequest() -> ConsolePollRequest {
        runTimers()
        let wantRead: Int16 = state == .closed ? 0 : Int16(POLLIN)
        let wantWrite: Int16 = out.isEmpty ? 0 : Int16(POLLOUT)
        var input = ConsolePollRequest.Entry(descriptor: -1, events: 0)
        var output = ConsolePollRequest.Entry(descriptor: -1, events: 0)
        if terminal.input == terminal.output {
            if wantRead | wantWrite != 0 { input = .init(descriptor: terminal.input, events: wantRead | wantWrite) }
        } else {
            if wantRead != 0 { input = .init(descriptor: terminal.input, events: wantRead) }
            if wantWrite != 0 { output = .init(descriptor: terminal.output, events: wantWrite) }
        }
        return ConsolePollRequest(input: input, output: output, timeoutMilliseconds: nextTimerMilliseconds())
    }

    /// Handles what poll(2) reported for one of `pollRequest()`'s descriptors: reads and runs
    /// what was typed, then writes what the terminal takes.
    public mutating func handle<Backend: ConsoleBackend>(descriptor: Int32, revents: Int16, backend: inout Backend) {
        if descriptor == terminal.input && state != .closed
            && revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            readInput(hangup: revents & Int16(POLLHUP | POLLERR) != 0, &backend)
        }
        flush()
    }

    /// Polls the console's descriptors itself for up to `timeoutMilliseconds` and handles them:
    /// for a console running on its own (tests, a standalone shell).
    public mutating func step<Backend: ConsoleBackend>(timeoutMilliseconds: Int, backend: inout Backend) {
        let request = pollRequest()
        var wait = timeoutMilliseconds
        if request.timeoutMilliseconds >= 0 && (wait < 0 || request.timeoutMilliseconds < wait) {
            wait = request.timeoutMilliseconds
        }
        var fds = (pollfd(fd: request.input.descriptor, events: request.input.events, revents: 0),
                   pollfd(fd: request.output.descriptor, events: request.output.events, revents: 0))
        let ready = withUnsafeMutablePointer(to: &fds) { pointer in
            pointer.withMemoryRebound(to: pollfd.self, capacity: 2) { fds in
                do throws(Errno) {
                    return try SystemCall.poll(UnsafeMutableBufferPointer(start: fds, count: 2), timeoutMilliseconds: Int32(clamping: wait))
                } catch {
                    return 0   // a failed poll(2) (EINVAL, ENOMEM) handles nothing this step, as a timeout would
                }
            }
        }
        guard ready > 0 else { return }
        if fds.0.revents != 0 { handle(descriptor: fds.0.fd, revents: fds.0.revents, backend: &backend) }
        if fds.1.revents != 0 { handle(descriptor: fds.1.fd, revents: fds.1.revents, backend: &backend) }
    }

    /// Writes as much queued output as the terminal takes now (after `notice`, for example).
    public mutating func flush() {
        guard !out.isEmpty else { return }
        _ = out.drain(to: terminal.output)
        if out.isEmpty && out.unreportedDrops > 0 {
            let dropped = out.takeDropReport()
            var w = TextWriter(buffer: echoBuffer)
            w.write("[console: ")
            w.write(dropped)
            w.write(" bytes of output dropped]\n")
            out.append(w.bytes, crlf: terminal.needsCRLF)
            _ = out.drain(to: terminal.output)
        }
    }

    // MARK: Asynchronous output

    /// Shows lines that did not come from a command (OTA progress, an alarm) without disturbing
    /// the line being typed: on a terminal the prompt and the typed text are redrawn below.
    /// Nothing is shown before the password was given.
    public mutating func notice(_ body: (inout TextWriter) -> Void) {
        guard state == .ready || state == .pending else { return }
        var w = TextWriter(buffer: commandBuffer)
        body(&w)
        if state == .ready {
            if terminal.isTerminal { emitRaw("\r\u{1B}[K") } else { emitRaw("\n") }
        }
        emitOutput(w)
        if state == .ready {
            showPrompt()
            if terminal.echoes { out.append(editor.line, crlf: false) }
        }
        flush()
    }

    /// Finishes a command that returned `.pending`: shows its output, then the prompt. Returns
    /// false (and shows nothing) when no command is pending, e.g. after Ctrl-C.
    @discardableResult
    public mutating func completePending(_ body: (inout TextWriter) -> Void) -> Bool {
        guard state == .pending else { return false }
        var w = TextWriter(buffer: commandBuffer)
        body(&w)
        emitOutput(w)
        state = .ready
        showPrompt()
        flush()
        return true
    }

    // MARK: Input

    private mutating func readInput<Backend: ConsoleBackend>(hangup: Bool, _ backend: inout Backend) {
        var reads = 0
        while reads < 8 && state != .closed {
            reads += 1
            do throws(Errno) {
                switch try SystemCall.readIfReady(terminal.input, into: inputBuffer) {
                case .processed(let n) where n > 0:
                    lastInput = clock.monotonicNow()
                    for i in 0..<n { accept(inputBuffer[i], &backend) }
                    continue
                case .processed:
                    break   // end of input
                case .wouldBlock:
                    // POLLHUP with nothing to read would wake the loop forever.
                    if hangup && reads == 1 { close() }
                    return
                }
            } catch {
                // EIO (hangup) or another error: closed below
            }
            close()   // end of input, EIO (hangup) or another error
            return
        }
    }

    private mutating func close() {
        if state == .pending || state == .ready { editor.clear() }
        state = .closed
    }

    private mutating func accept<Backend: ConsoleBackend>(_ byte: UInt8, _ backend: inout Backend) {
        switch state {
        case .closed:
            return
        case .lockedOut:
            runTimers()
            if state == .lockedOut { return }
        case .pending:
            if byte == 0x03 {
                backend.cancelPending()
                emitRaw("^C\n")
                state = .ready
                showPrompt()
            }
            return
        case .password, .ready:
            break
        }
        editor.echoes = terminal.echoes && state == .ready
        var echo = TextWriter(buffer: echoBuffer)
        let event = editor.feed(byte, echo: &echo)
        if echo.count > 0 { out.append(echo.bytes, crlf: terminal.needsCRLF) }
        switch event {
        case nil:
            return
        case .interrupt:
            editor.clear()
            if state == .password && terminal.echoes { emitRaw("\n") }
            showPrompt()
        case .line:
            if state == .password {
                checkPassword()
            } else {
                run(&backend)
            }
            // The finished line is done with (tokens pointed into it): a notice must not redraw it.
            editor.clear()
        }
    }

    private mutating func checkPassword() {
        let good = password.matches(editor.line)
        editor.wipe()
        if terminal.echoes { emitRaw("\n") }
        if good {
            logger?.log(.info, "console", "logged in")
            failedAttempts = 0
            state = .ready
            showPrompt()
            return
        }
        failedAttempts += 1
        failedLogins &+= 1
        logger?.log(.warning, "console", "wrong password")
        if failedAttempts >= max(1, options.maxAttempts) {
            lockouts &+= 1
            logger?.log(.warning, "console", "locked after too many wrong passwords")
            state = .lockedOut
            lockedUntil = clock.monotonicNow().advanced(byMilliseconds: options.lockoutMilliseconds)
            var w = TextWriter(buffer: echoBuffer)
            w.write("wrong password; console locked for ")
            w.write(durationMilliseconds: options.lockoutMilliseconds)
            w.newline()
            out.append(w.bytes, crlf: terminal.needsCRLF)
        } else {
            emitRaw("wrong password\n")
            showPrompt()
        }
    }

    // MARK: Commands

    private mutating func run<Backend: ConsoleBackend>(_ backend: inout Backend) {
        let arguments: ConsoleArguments
        do {
            arguments = try ConsoleArguments.tokenize(editor.line)
        } catch {
            switch error {
            case .tooManyWords: emitRaw("too many words in one line\n")
            case .unterminatedQuote: emitRaw("missing closing quote (\")\n")
            }
            showPrompt()
            return
        }
        guard !arguments.isEmpty else {
            showPrompt()
            return
        }
        commandsRun &+= 1
        guard let command = ConsoleCommand.named(arguments[0]) else {
            unknownCommands &+= 1
            var w = TextWriter(buffer: commandBuffer)
            w.write("unknown command '")
            let word = arguments[0].bytes
            w.write(bytes: UnsafeRawBufferPointer(rebasing: word[0..<min(word.count, 40)]))
            w.write("' (type 'help' for the list)\n")
            emitOutput(w)
            showPrompt()
            return
        }
        let rest = arguments.dropping(1)
        guard command.accepts(argumentCount: rest.count) else {
            emitUsage(command)
            showPrompt()
            return
        }
        if let logger {
            let changes = command == .write || command == .reboot || (command == .ota && !rest[0].equals("status"))
                || (command == .config && rest.count > 0)
            let line = editor.line
            logger.log(changes ? .info : .debug, "console") { w in
                w.write("command: ")
                w.write(bytes: line)
            }
        }
        var w = TextWriter(buffer: commandBuffer)
        let reply = dispatch(command, rest, &w, &backend)
        emitOutput(w)
        switch reply {
        case .done:
            showPrompt()
        case .usage:
            emitUsage(command)
            showPrompt()
        case .pending:
            state = .pending
        }
    }

    private mutating func dispatch<Backend: ConsoleBackend>(_ command: ConsoleCommand, _ rest: ConsoleArguments,
                                                            _ w: inout TextWriter, _ backend: inout Backend) -> ConsoleReply {
        switch command {
        case .help: return help(rest, &w)
        case .status: return backend.status(into: &w)
        case .buses: return backend.buses(into: &w)
        case .devices: return backend.devices(into: &w)
        case .points: return backend.points(device: rest.count == 1 ? rest[0] : nil, into: &w)
        case .alarms: return backend.alarms(into: &w)
        case .read: return backend.read(rest, into: &w)
        case .write: return backend.write(rest, into: &w)
        case .trace: return backend.trace(rest, into: &w)
        case .log: return log(rest, &w)
        case .mqtt: return backend.mqtt(into: &w)
        case .config:
            if rest.count == 0 { return backend.config(into: &w) }
            if rest.count == 2 && rest[0].equals("apply") { return backend.configApply(path: rest[1], into: &w) }
            return .usage
        case .ota:
            let sub = rest[0]
            if sub.equals("status") && rest.count == 1 { return backend.otaStatus(into: &w) }
            if sub.equals("install") && rest.count == 2 { return backend.otaInstall(url: rest[1], into: &w) }
            if sub.equals("mark-good") && rest.count == 1 { return backend.otaMarkGood(into: &w) }
            return .usage
        case .reboot: return backend.reboot(into: &w)
        case .logout:
            w.line("bye")
            editor.clear()
            if hasPassword {
                state = .password
            } else {
                // Nothing to lock: start afresh with the banner.
                bannerBytes.withUnsafeBytes { w.write(bytes: $0) }
                w.newline()
            }
            return .done
        }
    }

    private func help(_ rest: ConsoleArguments, _ w: inout TextWriter) -> ConsoleReply {
        if rest.count == 1 {
            guard let command = ConsoleCommand.named(rest[0]) else {
                w.line("no such command")
                return .usage
            }
            w.write("usage: ")
            w.line(command.usage)
            w.write("  ")
            w.line(command.summary)
            return .done
        }
        w.line("commands:")
        var index = 0
        while let command = ConsoleCommand(index: index) {
            index += 1
            w.write("  ")
            w.write(command.name)
            w.pad(toColumn: 11)
            w.line(command.summary)
        }
        w.line("'help COMMAND' shows its arguments; Ctrl-C abandons a line or a running command")
        return .done
    }

    private func log(_ rest: ConsoleArguments, _ w: inout TextWriter) -> ConsoleReply {
        var lines = options.defaultLogLines
        if rest.count == 1 {
            guard let n = rest[0].integer, n > 0 else { return .usage }
            lines = Int(clamping: n)
        }
        guard let history else {
            w.line("no log history in this build")
            return .done
        }
        if history.count == 0 { w.line("(nothing logged yet)") }
        history.forEachLine(last: lines) { line in
            w.write(bytes: line)
            w.newline()
        }
        return .done
    }

    // MARK: Output

    private mutating func showPrompt() {
        switch state {
        case .password: emitRaw("Password: ")
        case .ready: promptBytes.withUnsafeBytes { out.append($0, crlf: false) }
        case .lockedOut, .pending, .closed: break
        }
    }

    private mutating func emitUsage(_ command: ConsoleCommand) {
        emitRaw("usage: ")
        emitRaw(command.usage)
        emitRaw("\n")
    }

    /// Command output: secrets masked, a note when it was cut, a final newline ensured.
    private mutating func emitOutput(_ w: TextWriter) {
        let crlf = terminal.needsCRLF
        if let secrets {
            secrets.mask(w.bytes, truncated: w.isTruncated) { piece in out.append(piece, crlf: crlf) }
        } else {
            out.append(w.bytes, crlf: crlf)
        }
        if w.isTruncated {
            emitRaw(w.column == 0 ? "[output truncated]\n" : "\n[output truncated]\n")
        } else if w.count > 0 && w.column != 0 {
            emitRaw("\n")
        }
    }

    private mutating func emitRaw(_ text: StaticString) {
        out.append(text, crlf: terminal.needsCRLF)
    }

    private mutating func emitRaw(_ bytes: UnsafeRawBufferPointer) {
        out.append(bytes, crlf: terminal.needsCRLF)
    }

    // MARK: Timers

    private mutating func runTimers() {
        let now = clock.monotonicNow()
        if state == .lockedOut && now >= lockedUntil {
            failedAttempts = 0
            state = .password
            showPrompt()
        }
        if state == .ready && hasPassword && options.idleLogoutMilliseconds > 0
            && now >= lastInput.advanced(byMilliseconds: options.idleLogoutMilliseconds) {
            editor.clear()
            emitRaw("\nlogged out after being idle\n")
            logger?.log(.info, "console", "logged out after being idle")
            state = .password
            showPrompt()
        }
    }

    private func nextTimerMilliseconds() -> Int {
        let now = clock.monotonicNow()
        var until: MonotonicInstant? = nil
        if state == .lockedOut { until = lockedUntil }
        if state == .ready && hasPassword && options.idleLogoutMilliseconds > 0 {
            until = lastInput.advanced(byMilliseconds: options.idleLogoutMilliseconds)
        }
        guard let until else { return -1 }
        let ns = until.nanoseconds(since: now)
        return Int(clamping: (ns + 999_999) / 1_000_000)
    }
}
