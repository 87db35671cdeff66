import CShim
import EdgeCore

/// Owns the descriptors the console reads and writes, both non-blocking: a serial tty in raw
/// mode (the board's console), the process's stdin/stdout, or descriptors given by a test.
///
/// Guarantees: reads and writes never block the agent's loop; descriptors this value opened are
/// closed exactly once; a terminal whose settings were changed gets them back in `deinit`.
public struct ConsoleTerminal: ~Copyable {
    /// Where keystrokes come from.
    public let input: Int32
    /// Where output goes (the same descriptor as `input` on a tty).
    public let output: Int32
    /// True on a terminal: line ends go out as CR LF, and notices may redraw the prompt with
    /// ANSI erase-line.
    public let isTerminal: Bool
    /// True when line ends must go out as CR LF (the terminal's own output processing is off).
    public private(set) var needsCRLF: Bool
    /// True when typed characters must be echoed (a terminal in raw mode does not echo itself).
    public let echoes: Bool
    private let ownsInput: Bool
    private let ownsOutput: Bool
    private var saved: termios
    private var restoreSettings: Bool

    /// Takes descriptors as they are (for tests and embedding): they are set non-blocking; closed
    /// at the end when `owning`.
    public init(input: Int32, output: Int32, isTerminal: Bool, echoes: Bool, owning: Bool) {
        self.input = input
        self.output = output
        self.isTerminal = isTerminal
        self.echoes = echoes
        needsCRLF = isTerminal
        ownsInput = owning
        ownsOutput = owning && output != input
        saved = termios()
        restoreSettings = false
        Self.setNonBlocking(input)
        if output != input { Self.setNonBlocking(output) }
    }

    /// Opens a serial console tty (or a pseudo-terminal's slave): non-blocking, raw mode at
    /// `baud` (nil: leave the speed as the kernel or bootloader set it). The settings are
    /// restored when the terminal is closed.
    public static func openTTY(path: String, baud: Int?) throws(ConsoleError) -> ConsoleTerminal {
        let fd: Int32
        do throws(Errno) { fd = try SystemCall.open(path, flags: O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, mode: 0) } catch {
            throw ConsoleError(.openTerminal, error)
        }
        var original = termios()
        let haveOriginal = tcgetattr(fd, &original) == 0
        if edge_tty_make_raw(fd, UInt32(clamping: baud ?? 0)) != 0 {
            let e = Errno.current
            try? SystemCall.close(fd)
            throw ConsoleError(.configureTerminal, e)
        }
        // A serial console has no modem lines to wait for: ignore carrier detect, enable reading.
        var settings = termios()
        if tcgetattr(fd, &settings) == 0 {
            settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
            _ = tcsetattr(fd, TCSANOW, &settings)
        }
        var t = ConsoleTerminal(input: fd, output: fd, isTerminal: true, echoes: true, owning: true)
        t.saved = original
        t.restoreSettings = haveOriginal
        return t
    }

    /// The process's stdin and stdout (or the given descriptors), reopened through /proc/self/fd
    /// as open files of their own so that making them non-blocking does not affect stderr or a
    /// parent shell sharing them. When the input is a terminal it goes into raw mode, except that
    /// Ctrl-C still raises SIGINT (stopping the agent, as a terminal user expects), and is
    /// restored at the end; otherwise (a pipe, a file) nothing is echoed.
    public static func standardStreams(input inputFD: Int32 = 0, output outputFD: Int32 = 1) throws(ConsoleError) -> ConsoleTerminal {
        var input = reopen(inputFD, O_RDONLY)
        var output = reopen(outputFD, O_WRONLY)
        if input < 0 { input = fcntlDuplicate(inputFD) }
        if output < 0 { output = fcntlDuplicate(outputFD) }
        guard input >= 0, output >= 0 else {
            let e = Errno.current
            if input >= 0 { try? SystemCall.close(input) }
            if output >= 0 { try? SystemCall.close(output) }
            throw ConsoleError(.openStandardStreams, e)
        }
        let tty = isatty(input) == 1
        var t = ConsoleTerminal(input: input, output: output, isTerminal: tty, echoes: tty, owning: true)
        if tty {
            var original = termios()
            if tcgetattr(input, &original) == 0 {
                var raw = original
                cfmakeraw(&raw)
                raw.c_lflag |= tcflag_t(ISIG)
                raw.c_oflag |= tcflag_t(OPOST)   // stderr's log lines share this terminal
                if tcsetattr(input, TCSANOW, &raw) == 0 {
                    t.saved = original
                    t.restoreSettings = true
                    // Output processing stays on: with ONLCR the terminal adds the CRs itself.
                    t.needsCRLF = raw.c_oflag & tcflag_t(ONLCR) == 0
                }
            }
        }
        return t
    }

    private static func reopen(_ fd: Int32, _ mode: Int32) -> Int32 {
        var path: (UInt64, UInt64, UInt64) = (0, 0, 0)   // "/proc/self/fd/" + digits + NUL
        return withUnsafeMutableBytes(of: &path) { raw in
            var w = TextWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: raw[0..<(raw.count - 1)]))
            w.write("/proc/self/fd/")
            w.write(fd)
            raw[w.count] = 0
            return edge_open(raw.baseAddress!.assumingMemoryBound(to: CChar.self), mode | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, 0)
        }
    }

    deinit {
        if restoreSettings {
            var settings = saved
            _ = tcsetattr(input, TCSANOW, &settings)
        }
        // Nothing to do about a failed close at the end: the descriptor is gone either way.
        if ownsInput { try? SystemCall.close(input) }
        if ownsOutput { try? SystemCall.close(output) }
    }

    private static func fcntlDuplicate(_ fd: Int32) -> Int32 {
        // No /proc: share the description (O_NONBLOCK then also applies to the original).
        edge_fcntl_int(fd, F_DUPFD_CLOEXEC, 3)
    }

    private static func setNonBlocking(_ fd: Int32) {
        let flags = edge_fcntl_int(fd, F_GETFL, 0)
        if flags >= 0 && flags & O_NONBLOCK == 0 { _ = edge_fcntl_int(fd, F_SETFL, flags | O_NONBLOCK) }
    }
}
