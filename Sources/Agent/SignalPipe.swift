import CShim
import EdgeCore

/// Signals as readable bytes for the poll loop: the handlers (installed by `init`) write each
/// caught signal's number into a self-pipe; the loop polls `descriptor` and calls `take()`. So a
/// signal arriving at any moment, even just before poll(2), wakes the loop. One per process.
public struct SignalPipe: Sendable {
    public let descriptor: Int32

    /// Catches `signals` (e.g. SIGTERM, SIGINT, SIGHUP), unblocking them if the parent left them
    /// blocked, and ignores SIGPIPE.
    public init(catching signals: [Int32]) throws(Errno) {
        let fd = edge_signal_pipe_open()
        guard fd >= 0 else { throw Errno.current }
        for s in signals {
            guard edge_signal_to_pipe(s) == 0 else { throw Errno.current }
            _ = edge_signal_unblock(s)
        }
        _ = edge_signal_ignore(SIGPIPE)
        descriptor = fd
    }

    /// The pipe opened earlier by `init(catching:)`, named by its read end.
    public init(descriptorOnly descriptor: Int32) { self.descriptor = descriptor }

    /// The signals that arrived since the last call, as a mask (bit n: signal n). Allocates nothing.
    /// Reads until the pipe is empty (EAGAIN); the read end is the process's own and stays open,
    /// so no other error is expected, and one would end this read like an empty pipe (the signal
    /// bytes stay for the next call).
    public func take() -> UInt64 {
        var mask: UInt64 = 0
        var byte: UInt8 = 0
        while true {
            do throws(Errno) {
                let result = try withUnsafeMutableBytes(of: &byte) { buffer throws(Errno) in
                    try SystemCall.readIfReady(descriptor, into: buffer)
                }
                guard result == .processed(1) else { return mask }
            } catch {
                return mask
            }
            if byte < 64 { mask |= 1 << UInt64(byte) }
        }
    }

    /// True when `signal` is in `mask`.
    @inlinable public static func contains(_ mask: UInt64, _ signal: Int32) -> Bool {
        signal > 0 && signal < 64 && mask & (1 << UInt64(signal)) != 0
    }
}
