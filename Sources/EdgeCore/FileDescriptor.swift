import CShim

/// Owns one open file descriptor: closed exactly once, in `close()` or `deinit`. Not copyable,
/// so no two owners can close the same descriptor.
@frozen public struct FileDescriptor: ~Copyable {
    /// The raw descriptor, valid while this owner lives.
    public let rawValue: Int32

    /// Takes ownership of an open descriptor.
    @inlinable public init(owning rawValue: Int32) { self.rawValue = rawValue }

    /// Opens a path (open(2), retried on EINTR). `mode` applies when O_CREAT is given.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws(Errno) -> FileDescriptor {
        let fd = try retryingSyscall { edge_open(path, flags, mode) }
        return FileDescriptor(owning: fd)
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retryingSyscall { CShim.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Writes all bytes, retrying short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard bytes.count > 0 else { return }
        if edge_write_all(rawValue, bytes.baseAddress, bytes.count) != 0 { throw Errno.current }
    }

    /// Reads up to `buffer.count` bytes at `offset` (pread).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try retryingSyscall { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Writes bytes at `offset` (pwrite), all of them or an error.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let n = try retryingSyscall {
                pwrite(rawValue, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            done += n
        }
    }

    /// Flushes written data to the device (fdatasync).
    public func synchronizeData() throws(Errno) {
        _ = try retryingSyscall { fdatasync(rawValue) }
    }

    /// Closes the descriptor now.
    public consuming func close() {
        _ = CShim.close(rawValue)
        discard self
    }

    deinit { _ = CShim.close(rawValue) }
}
