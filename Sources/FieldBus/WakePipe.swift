import CShim
import EdgeCore

/// A non-blocking pipe used as a wake-up signal between threads: one side writes a byte, the
/// other watches the read end with poll(2) and drains it. Owns both descriptors.
public struct WakePipe: ~Copyable {
    public let readFD: Int32
    public let writeFD: Int32

    public init() throws(Errno) {
        var fds: (Int32, Int32) = (-1, -1)
        let rc = withUnsafeMutablePointer(to: &fds) { p in
            p.withMemoryRebound(to: Int32.self, capacity: 2) { edge_pipe_nonblocking($0) }
        }
        guard rc == 0 else { throw Errno.current }
        readFD = fds.0
        writeFD = fds.1
    }

    deinit {
        _ = close(readFD)
        _ = close(writeFD)
    }

    /// Makes the read end readable (a full pipe is readable already, so EAGAIN is fine).
    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe.
    public func drain() {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while withUnsafeMutableBytes(of: &bytes, { read(readFD, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Waits until signalled or `milliseconds` pass (-1: forever); true when signalled.
    public func wait(milliseconds: Int32) -> Bool {
        edge_poll_in(readFD, milliseconds) > 0
    }
}
