import EdgeCore
import OTA

/// A power supply that fails after a budget of written bytes: the write that crosses the budget
/// lands partially (its first bytes only), and every later write fails. Shared by the
/// environment storage and the slot device, so a cut can fall at any byte of an install.
final class PowerSupply {
    var budget: Int?
    private(set) var cut = false
    private(set) var written = 0

    init(budget: Int?) { self.budget = budget }

    /// How many of `count` bytes get written before the cut.
    func allow(_ count: Int) -> Int {
        if cut { return 0 }
        guard let b = budget else { written += count; return count }
        let n = min(count, b - written)
        written += n
        if n < count { cut = true }
        return n
    }
}

/// Environment copies held in memory (survive the "reboot").
final class MemoryEnvironment {
    var copies: [[UInt8]]
    init(size: Int, copies: Int) { self.copies = Array(repeating: [UInt8](repeating: 0, count: size), count: copies) }
}

struct MemoryEnvironmentStorage: EnvironmentStorage {
    let backing: MemoryEnvironment
    let power: PowerSupply

    mutating func read(copy: Int, into buffer: UnsafeMutableRawBufferPointer) throws(BootEnvironmentError) {
        backing.copies[copy].withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    mutating func write(copy: Int, _ bytes: UnsafeRawBufferPointer) throws(BootEnvironmentError) {
        let n = power.allow(bytes.count)
        for i in 0..<n { backing.copies[copy][i] = bytes[i] }
        if n < bytes.count { throw .device(copy: copy, operation: "write", .ioError) }
    }
}

/// A slot's bytes in memory.
final class MemorySlot {
    var bytes: [UInt8]
    var syncs = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

struct MemorySlotDevice: SlotDevice {
    let slot: MemorySlot
    let power: PowerSupply

    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) {
        if offset == 0 { slot.bytes.removeAll(keepingCapacity: true) }   // a file slot is truncated
        let n = power.allow(bytes.count)
        slot.bytes.append(contentsOf: bytes[0..<n])
        if n < bytes.count { throw .ioError }
    }

    mutating func synchronize() throws(Errno) {
        if power.cut { throw .ioError }
        slot.syncs += 1
    }
}
