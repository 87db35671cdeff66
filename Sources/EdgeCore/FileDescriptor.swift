import CShim

/// Owns one open file descriptor: closed exactly once, in `close()` or `deinit`. Not copyable,
/// so no two owners can close the same descriptor. Every call goes through `SystemCall` (EINTR
/// retried, failures thrown as a typed `Errno`).
@frozen public struct FileDescriptor: ~Copyable {
    /// The raw descriptor, valid while this owner lives.
    public let rawValue: Int32

    /// Takes ownership of an open descriptor.
    @inlinable public init(owning rawValue: Int32) { self.rawValue = rawValue }

    /// Opens a path (open(2), retried on EINTR). `mode` applies when O_CREAT is given.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws(Errno) -> FileDescriptor {
        FileDescriptor(owning: try SystemCall.open(path, flags: flags, mode: mode))
    }

    /// Reads up to `buffer.count` bytes; 0 at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try SystemCall.read(rawValue, into: buffer)
    }

    /// Reads from a non-blocking descriptor: `.processed(n)` (0 at end of file), or
    /// `.wouldBlock` when nothing is there now.
    public func readIfReady(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> IOResult {
        try SystemCall.readIfReady(rawValue, into: buffer)
    }

    /// Writes once to a non-blocking descriptor: `.processed(n)` (may be short), or
    /// `.wouldBlock` when there is no room now.
    public func writeIfReady(_ bytes: UnsafeRawBufferPointer) throws(Errno) -> IOResult {
        try SystemCall.writeIfReady(rawValue, bytes)
    }

    /// Writes all bytes, retrying short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        try SystemCall.writeAll(rawValue, bytes)
    }

    /// Reads up to `buffer.count` bytes at `offset` (pread).
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try SystemCall.read(rawValue, into: buffer, at: offset)
    }

    /// Writes bytes at `offset` (pwrite), all of them or an error.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) {
        try SystemCall.write(rawValue, bytes, at: offset)
    }

    /// The size of the file or device (lseek to its end, which moves the file offset there).
    public func endOffset() throws(Errno) -> Int64 {
        try SystemCall.endOffset(rawValue)
    }

    /// Sets the file's size (ftruncate).
    public func truncate(to size: Int64) throws(Errno) {
        try SystemCall.truncate(rawValue, to: size)
    }

    /// The file's type, mode and size (fstat).
    public func status() throws(Errno) -> stat {
        try SystemCall.status(rawValue)
    }

    /// Sets the file's permission bits (fchmod).
    public func changeMode(to mode: UInt32) throws(Errno) {
        try SystemCall.changeMode(rawValue, to: mode)
    }

    /// Flushes written data and metadata to the device (fsync).
    public func synchronize() throws(Errno) {
        try SystemCall.synchronize(rawValue)
    }

    /// Flushes written data to the device (fdatasync).
    public func synchronizeData() throws(Errno) {
        try SystemCall.synchronizeData(rawValue)
    }

    /// Closes the descriptor now. A close error is not reported: the descriptor is gone either
    /// way, and data that must be durable was synchronized before.
    public consuming func close() {
        _ = CShim.close(rawValue)
        discard self
    }

    deinit { _ = CShim.close(rawValue) }
}
