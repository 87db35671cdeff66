/// The shape of a flash device: total size, erase-sector size and the program unit (the size and
/// alignment every program must respect: 1 for files and NOR, the page size for NAND).
public struct FlashGeometry: Equatable, Sendable {
    public var size: Int
    public var sectorSize: Int
    public var programUnit: Int

    public init(size: Int, sectorSize: Int, programUnit: Int = 1) {
        self.size = size
        self.sectorSize = sectorSize
        self.programUnit = programUnit
    }

    public var sectorCount: Int { sectorSize > 0 ? size / sectorSize : 0 }

    /// nil when usable; otherwise why not.
    public var problem: String? {
        if sectorSize <= 0 || size <= 0 { return "size \(size) and sector size \(sectorSize) must be positive" }
        if size % sectorSize != 0 { return "size \(size) is not a multiple of the sector size \(sectorSize)" }
        if programUnit <= 0 || programUnit & (programUnit - 1) != 0 { return "program unit \(programUnit) is not a power of two" }
        if sectorSize % programUnit != 0 { return "sector size \(sectorSize) is not a multiple of the program unit \(programUnit)" }
        if sectorSize % 4 != 0 { return "sector size \(sectorSize) is not a multiple of 4" }
        // Sector headers record these as 32-bit numbers.
        if UInt64(sectorSize) > UInt64(UInt32.max) { return "sector size \(sectorSize) is above \(UInt32.max)" }
        if UInt64(sectorCount) > UInt64(UInt32.max) { return "\(sectorCount) sectors are more than \(UInt32.max)" }
        if UInt64(programUnit) > UInt64(UInt32.max) { return "program unit \(programUnit) is above \(UInt32.max)" }
        return nil
    }
}

/// A flash-style store: bytes are read anywhere, programmed only where erased, and erased a
/// whole sector at a time (to 0xFF). Every implementation enforces the flash rules (a byte is
/// written at most once between erases), so code that works on one device works on real NOR/NAND.
/// Used through generics (`RingLog<Device, …>`), never as an existential.
public protocol FlashDevice: ~Copyable {
    /// The path or a label, for error messages.
    var name: String { get }
    var geometry: FlashGeometry { get }
    /// Reads `buffer.count` bytes at `offset`.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FlashError)
    /// Programs bytes at `offset` (erased bytes only; offset and count aligned to the program unit,
    /// except that a count ending at a sector end needs no alignment).
    mutating func program(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(FlashError)
    /// Erases one sector to 0xFF.
    mutating func erase(sector: Int) throws(FlashError)
    /// Makes every earlier program and erase durable.
    mutating func sync() throws(FlashError)
}
