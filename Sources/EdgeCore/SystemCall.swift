import CShim

/// The one funnel for the system calls edge-agent makes on descriptors (after swift-system's
/// `Syscalls.swift`): `FileDescriptor` calls these, and so does code that holds a descriptor it
/// does not own alone (a socket inside a `ByteStream`, a self-pipe end, a terminal). Each call
/// is retried on EINTR where a retry is the same call, and a failure comes back as a typed
/// `Errno` (thrown with `throws(Errno)`: no allocation). Callers decide what a failure means;
/// none is ignored here.
public enum SystemCall {
    /// open(2) (retried on EINTR); the new descriptor. `mode` applies when O_CREAT is given.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws(Errno) -> Int32 {
        try retryingSyscall { edge_open(path, flags, mode) }
    }

    /// close(2), not retried: Linux frees the descriptor even when close reports EINTR, and a
    /// retry could close a descriptor another thread has just been given.
    public static func close(_ fd: Int32) throws(Errno) {
        if CShim.close(fd) != 0 { throw Errno.current }
    }

    /// read(2): up to `buffer.count` bytes, 0 at end of file. For a blocking descriptor (on a
    /// non-blocking one, EAGAIN is thrown: use `readIfReady`).
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingSyscall { CShim.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// read(2) on a non-blocking descriptor: `.processed(n)` (0 at end of file), or
    /// `.wouldBlock` when nothing is there now.
    public static func readIfReady(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> IOResult {
        while true {
            let n = CShim.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return .processed(n) }
            let error = Errno.current
            if error == .wouldBlock || error.rawValue == EWOULDBLOCK { return .wouldBlock }
            if error != .interrupted { throw error }
        }
    }

    /// write(2) once on a non-blocking descriptor: `.processed(n)` (may be short), or
    /// `.wouldBlock` when there is no room now.
    public static func writeIfReady(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> IOResult {
        while true {
            let n = CShim.write(fd, bytes.baseAddress, bytes.count)
            if n >= 0 { return .processed(n) }
            let error = Errno.current
            if error == .wouldBlock || error.rawValue == EWOULDBLOCK { return .wouldBlock }
            if error != .interrupted { throw error }
        }
    }

    /// Writes all of `bytes`, continuing after short writes (for a blocking descriptor).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard bytes.count > 0 else { return }
        if edge_write_all(fd, bytes.baseAddress, bytes.count) != 0 { throw Errno.current }
    }

    /// pread(2): up to `buffer.count` bytes at `offset`, 0 at end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try retryingSyscall { pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// pwrite(2) until all of `bytes` is written at `offset`.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let n = try retryingSyscall {
                pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            done += n
        }
    }

    /// The size of the file or device: lseek(2) to its end (which moves the file offset there).
    public static func endOffset(_ fd: Int32) throws(Errno) -> Int64 {
        Int64(try retryingSyscall { lseek(fd, 0, SEEK_END) })
    }

    /// ftruncate(2) to `size` bytes.
    public static func truncate(_ fd: Int32, to size: Int64) throws(Errno) {
        _ = try retryingSyscall { ftruncate(fd, off_t(size)) }
    }

    /// fstat(2): the file's type, mode and size.
    public static func status(_ fd: Int32) throws(Errno) -> stat {
        var result = stat()
        _ = try retryingSyscall { fstat(fd, &result) }
        return result
    }

    /// fchmod(2): the file's permission bits.
    public static func changeMode(_ fd: Int32, to mode: UInt32) throws(Errno) {
        _ = try retryingSyscall { fchmod(fd, mode_t(mode)) }
    }

    /// fsync(2): data and metadata on the device.
    public static func synchronize(_ fd: Int32) throws(Errno) {
        _ = try retryingSyscall { fsync(fd) }
    }

    /// fdatasync(2): the data (and the metadata needed to read it back) on the device.
    public static func synchronizeData(_ fd: Int32) throws(Errno) {
        _ = try retryingSyscall { fdatasync(fd) }
    }

    /// poll(2) on one descriptor (a negative `fd`: none, only the timeout) for at most
    /// `timeoutMilliseconds` (-1: no limit): the events it reported, 0 if none before the timeout
    /// or if a signal interrupted the wait (the caller's loop computes its next wait anyway; a
    /// retry would wait the whole timeout again).
    public static func poll(_ fd: Int32, events: Int16, timeoutMilliseconds: Int32) throws(Errno) -> Int16 {
        var revents: Int16 = 0
        if edge_poll_one(fd, events, timeoutMilliseconds, &revents) < 0 {
            let error = Errno.current
            if error != .interrupted { throw error }
            return 0
        }
        return revents
    }

    /// poll(2) on several descriptors: how many have events (in their `revents`), 0 if none
    /// before the timeout or if a signal interrupted the wait.
    public static func poll(_ fds: UnsafeMutableBufferPointer<pollfd>, timeoutMilliseconds: Int32) throws(Errno) -> Int {
        let rc = CShim.poll(fds.baseAddress, nfds_t(fds.count), timeoutMilliseconds)
        if rc < 0 {
            let error = Errno.current
            if error != .interrupted { throw error }
            return 0
        }
        return Int(rc)
    }

    /// A pipe with both ends non-blocking and close-on-exec, each end owned by the caller.
    public static func nonBlockingPipe() throws(Errno) -> (readEnd: Int32, writeEnd: Int32) {
        var fds: (Int32, Int32) = (-1, -1)
        let rc = withUnsafeMutablePointer(to: &fds) { p in
            p.withMemoryRebound(to: Int32.self, capacity: 2) { edge_pipe_nonblocking($0) }
        }
        guard rc == 0 else { throw Errno.current }
        return (fds.0, fds.1)
    }
}
