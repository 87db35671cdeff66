import CShim
import EdgeCore

/// Where the copies of a bootloader environment are read from and written to. The real one is
/// `FileEnvironmentStorage`; tests substitute one that cuts the power after N bytes.
public protocol EnvironmentStorage: ~Copyable {
    /// Reads all of copy `copy` into `buffer` (exactly `buffer.count` bytes).
    mutating func read(copy: Int, into buffer: UnsafeMutableRawBufferPointer) throws(BootEnvironmentError)
    /// Writes all of copy `copy` and makes it durable (fsync) before returning.
    mutating func write(copy: Int, _ bytes: UnsafeRawBufferPointer) throws(BootEnvironmentError)
}
