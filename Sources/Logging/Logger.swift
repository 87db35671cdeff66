import CShim
import EdgeCore

/// The agent's log: records with a severity and a subsystem, written as one line each to stderr,
/// syslog or a descriptor, and kept in a `LogHistory` ring for the console's `log` command.
///
/// A line reads `2026-01-01T00:00:00.000Z warning mqtt: connection refused (code 5)` (syslog gets
/// `mqtt: …` and adds its own time). Guarantees:
/// - no allocation per record: lines are composed in fixed buffers sized at creation
///   (`lineCapacity`); longer records are cut and end in `…`;
/// - every secret in `secrets` is replaced by `***` before the line leaves the logger (also a
///   secret cut off at the end of a long line);
/// - one record is one line: control characters in a message become spaces or `?`;
/// - records below `threshold` cost a comparison: the composing closure is not called.
/// Not thread-safe: log from the agent's loop thread (bus threads hand their events to it).
public final class Logger {
    /// Least severe level written.
    public var threshold: LogSeverity
    /// Strings masked in every line.
    public let secrets: SecretRegistry
    /// The last lines, for the console (nil: none kept).
    public let history: LogHistory?
    public let destination: LogDestination
    /// Records written, per severity (index = raw value).
    public private(set) var written: InlineArray<4, UInt64> = InlineArray(repeating: 0)
    /// Records cut because they were longer than a line.
    public private(set) var truncated: UInt64 = 0

    private let wallNow: () -> WallTime
    private let record: UnsafeMutableRawBufferPointer
    private let line: UnsafeMutableRawBufferPointer

    /// A logger writing records at or above `threshold` to `destination`, timed by `clock`.
    public static func make<Clock: EdgeClock>(threshold: LogSeverity = .info, destination: LogDestination = .standardError,
                                              clock: Clock, secrets: SecretRegistry = SecretRegistry(),
                                              history: LogHistory? = LogHistory(), lineCapacity: Int = 512) -> Logger {
        Logger(threshold: threshold, destination: destination, wallClock: { clock.wallNow() },
               secrets: secrets, history: history, lineCapacity: lineCapacity)
    }

    /// A logger writing records at or above `threshold` to `destination`; `wallClock` gives the
    /// time of each record (`make(clock:)` takes an `EdgeClock` instead).
    public init(threshold: LogSeverity = .info, destination: LogDestination = .standardError,
                wallClock: @escaping () -> WallTime, secrets: SecretRegistry = SecretRegistry(),
                history: LogHistory? = LogHistory(), lineCapacity: Int = 512) {
        self.threshold = threshold
        self.destination = destination
        self.secrets = secrets
        self.history = history
        wallNow = wallClock
        record = UnsafeMutableRawBufferPointer.allocate(byteCount: max(128, lineCapacity), alignment: 1)
        // Room for the masked copy: "***" can be longer than a 1- or 2-byte secret.
        line = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * max(128, lineCapacity) + 8, alignment: 1)
        if case .syslog(let identity) = destination {
            // StaticString literals are NUL-terminated and live for the whole process.
            edge_syslog_open(UnsafeRawPointer(identity.utf8Start).assumingMemoryBound(to: CChar.self))
        }
    }

    deinit {
        record.deallocate()
        line.deallocate()
        if case .syslog = destination { edge_syslog_close() }
    }

    /// True if records of this severity are written.
    @inline(__always)
    public func isEnabled(_ severity: LogSeverity) -> Bool { severity <= threshold }

    /// Logs a record composed by `compose` into the line buffer (called only when enabled):
    /// the allocation-free way to log numbers and names.
    public func log(_ severity: LogSeverity, _ subsystem: StaticString, _ compose: (inout TextWriter) -> Void) {
        guard isEnabled(severity) else { return }
        var w = TextWriter(buffer: record)
        let messageStart = writePrefix(&w, severity, subsystem)
        compose(&w)
        finish(w, severity, messageStart: messageStart)
    }

    /// Logs a fixed message.
    public func log(_ severity: LogSeverity, _ subsystem: StaticString, _ message: StaticString) {
        log(severity, subsystem) { $0.write(message) }
    }

    /// Logs a message (interpolated Strings allocate: prefer the composing form on hot paths).
    public func log(_ severity: LogSeverity, _ subsystem: StaticString, _ message: String) {
        log(severity, subsystem) { $0.write(message) }
    }

    public func error(_ subsystem: StaticString, _ message: String) { log(.error, subsystem, message) }
    public func warning(_ subsystem: StaticString, _ message: String) { log(.warning, subsystem, message) }
    public func info(_ subsystem: StaticString, _ message: String) { log(.info, subsystem, message) }
    public func debug(_ subsystem: StaticString, _ message: String) { log(.debug, subsystem, message) }

    // MARK: Lines

    /// Time, severity and subsystem; returns where the syslog form ("subsystem: …") starts.
    private func writePrefix(_ w: inout TextWriter, _ severity: LogSeverity, _ subsystem: StaticString) -> Int {
        w.write(utc: wallNow())
        w.write(byte: 0x20)
        w.write(severity.name)
        w.pad(toColumn: 24 + 1 + 8)
        let start = w.count
        w.write(subsystem)
        w.write(": ")
        return start
    }

    private func finish(_ w: TextWriter, _ severity: LogSeverity, messageStart: Int) {
        // Masked, one line: copy into `line`, secrets replaced, control bytes neutralised.
        // The last byte of `line` is kept for the newline.
        var out = TextWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: line[0..<(line.count - 1)]))
        secrets.mask(w.bytes, truncated: w.isTruncated) { piece in
            for b in piece {
                switch b {
                case 0x09, 0x0A, 0x0D: out.write(byte: 0x20)
                case 0x00..<0x20, 0x7F: out.write(byte: UInt8(ascii: "?"))
                default: out.write(byte: b)
                }
            }
        }
        if w.isTruncated {
            truncated &+= 1
            out.write("…")
        }
        written[severity.rawValue] &+= 1
        history?.append(out.bytes)
        // The prefix has no secrets and no control bytes, so `messageStart` is still right.
        switch destination {
        case .none:
            return
        case .syslog:
            let text = UnsafeRawBufferPointer(rebasing: out.bytes[min(messageStart, out.count)...])
            edge_syslog_write(severity.syslogPriority, text.baseAddress?.assumingMemoryBound(to: CChar.self), text.count)
        case .standardError:
            line[out.count] = 0x0A
            _ = edge_write_all(2, line.baseAddress, out.count + 1)
        case .descriptor(let fd):
            line[out.count] = 0x0A
            _ = edge_write_all(fd, line.baseAddress, out.count + 1)
        }
    }
}
