/// A flash device in RAM, for tests and benchmarks, with fault injection: cut the power after a
/// budget of written bytes (every later program, erase and sync is lost and throws), tear one
/// program (only a prefix of its bytes lands, optionally followed by half-programmed garbage),
/// flip bits anywhere. Counts erases per sector and programmed bytes. A class, so that a test
/// keeps a handle on the device a `RingLog` owns.
public final class MemoryFlashDevice: FlashDevice {
    public let name: String
    public let geometry: FlashGeometry
    @usableFromInline let storage: UnsafeMutableRawBufferPointer
    @usableFromInline let erases: UnsafeMutableBufferPointer<UInt32>

    /// Remaining power budget: bytes that may still be programmed, an erase costing 1 (so a sweep
    /// over every budget also cuts between an erase and the next write). nil: unlimited.
    public var powerBudget: Int?
    /// True once the budget ran out or a torn program happened.
    public private(set) var isPowerLost = false
    /// Bytes programmed since creation (write amplification), erases since creation.
    public private(set) var bytesProgrammed = 0
    public private(set) var totalErases = 0
    public private(set) var syncCount = 0
    /// Enforce the flash rule (program only over 0xFF); when false a program ANDs like real flash.
    public var enforcesErasedTarget = true
    /// When nonzero, a power cut is dirty: the rest of a program cut by the budget gets
    /// pseudo-random half-programmed bits, and an erase cut by the budget leaves the sector
    /// half-erased (random bits set) instead of untouched.
    public var dirtyCutSeed: UInt64 = 0

    private var tearKeep: Int?
    private var tearGarbage: UInt64 = 0

    /// A fully erased device.
    public init(geometry: FlashGeometry, name: String = "memory") {
        precondition(geometry.problem == nil, "bad geometry")
        self.name = name
        self.geometry = geometry
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: geometry.size, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0xFF)
        erases = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: geometry.sectorCount)
        erases.initialize(repeating: 0)
    }

    deinit {
        storage.deallocate()
        erases.deallocate()
    }

    /// Restores power after a cut (the contents stay as the cut left them).
    public func restorePower() {
        isPowerLost = false
        powerBudget = nil
        tearKeep = nil
    }

    /// The next program lands only its first `keeping` bytes; with a nonzero `garbageSeed` the
    /// rest of its range gets pseudo-random half-programmed bits. Then the power is lost.
    public func tearNextProgram(keeping: Int, garbageSeed: UInt64 = 0) {
        tearKeep = keeping
        tearGarbage = garbageSeed
    }

    /// Flips one bit (a retention error or a disturbed erased cell).
    public func flipBit(at offset: Int, bit: Int) {
        storage[offset] ^= UInt8(1) << UInt8(bit & 7)
    }

    /// Overwrites bytes without any rule (for building foreign content in tests).
    public func poke(at offset: Int, _ bytes: UnsafeRawBufferPointer) {
        for i in 0..<bytes.count { storage[offset + i] = bytes[i] }
    }

    /// One byte of the contents.
    public func byte(at offset: Int) -> UInt8 { storage[offset] }

    /// Erases done on one sector since creation.
    public func eraseCount(sector: Int) -> UInt32 { erases[sector] }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FlashError) {
        guard offset >= 0, buffer.count <= geometry.size - offset else {
            throw FlashError(device: name, operation: .read, offset: offset, kind: .outOfRange)
        }
        guard buffer.count > 0 else { return }
        buffer.baseAddress!.copyMemory(from: storage.baseAddress! + offset, byteCount: buffer.count)
    }

    public func program(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(FlashError) {
        if isPowerLost { throw FlashError(device: name, operation: .program, offset: offset, kind: .powerLost) }
        guard offset >= 0, bytes.count <= geometry.size - offset,
              offset % geometry.programUnit == 0 else {
            throw FlashError(device: name, operation: .program, offset: offset, kind: .outOfRange)
        }
        if enforcesErasedTarget {
            for i in 0..<bytes.count where storage[offset + i] != 0xFF {
                throw FlashError(device: name, operation: .program, offset: offset + i, kind: .notErased)
            }
        }
        var landing = bytes.count
        var lost = false
        var garbage: UInt64 = 0
        if let keep = tearKeep {
            tearKeep = nil
            if keep < landing { landing = max(0, keep) }
            lost = true
            garbage = tearGarbage
        }
        if let budget = powerBudget {
            if budget < landing {
                landing = budget
                lost = true
                if garbage == 0 { garbage = dirtyCutSeed }
            }
            powerBudget = budget - landing
        }
        for i in 0..<landing { storage[offset + i] &= bytes[i] }
        bytesProgrammed += landing
        if lost {
            if garbage != 0 {
                var x = garbage
                for i in landing..<bytes.count {
                    x ^= x << 13; x ^= x >> 7; x ^= x << 17
                    storage[offset + i] &= UInt8(truncatingIfNeeded: x) | bytes[i]
                }
            }
            isPowerLost = true
            throw FlashError(device: name, operation: .program, offset: offset + landing, kind: .powerLost)
        }
    }

    public func erase(sector: Int) throws(FlashError) {
        let offset = sector * geometry.sectorSize
        if isPowerLost { throw FlashError(device: name, operation: .erase, offset: offset, kind: .powerLost) }
        guard sector >= 0, sector < geometry.sectorCount else {
            throw FlashError(device: name, operation: .erase, offset: offset, kind: .outOfRange)
        }
        if let budget = powerBudget {
            if budget < 1 {
                if dirtyCutSeed != 0 {
                    var x = dirtyCutSeed ^ UInt64(sector)
                    for i in offset..<(offset + geometry.sectorSize) {
                        x ^= x << 13; x ^= x >> 7; x ^= x << 17
                        storage[i] |= UInt8(truncatingIfNeeded: x) & UInt8(truncatingIfNeeded: x >> 8)
                    }
                }
                isPowerLost = true
                throw FlashError(device: name, operation: .erase, offset: offset, kind: .powerLost)
            }
            powerBudget = budget - 1
        }
        UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + geometry.sectorSize)])
            .initializeMemory(as: UInt8.self, repeating: 0xFF)
        erases[sector] += 1
        totalErases += 1
    }

    public func sync() throws(FlashError) {
        if isPowerLost { throw FlashError(device: name, operation: .sync, offset: 0, kind: .powerLost) }
        syncCount += 1
    }
}
