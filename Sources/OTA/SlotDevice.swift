import CShim
import EdgeCore

/// Storage of one slot as the installer writes it: positioned writes and a durability barrier.
/// The real one is `FileSlotDevice`; tests substitute one that cuts the power after N bytes.
public protocol SlotDevice: ~Copyable {
    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno)
    /// Makes everything written so far durable (fdatasync).
    mutating func synchronize() throws(Errno)
}
