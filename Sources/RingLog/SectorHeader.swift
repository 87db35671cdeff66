import EdgeCore

/// The first bytes of every sector in use (80 bytes, little-endian, CRC-32 protected), written
/// once right after the sector's erase. It makes each sector self-describing, so that recovery
/// needs no other metadata:
///
///     0  magic "ERLG"         24 sector sequence (u64)   56 dropped records (u64)
///     4  format version (u16) 32 base record seq (u64)   64 dropped payload bytes (u64)
///     6  header size (u16)    40 base wall time ms (i64) 72 reserved (0)
///     8  sector size (u32)    48 acknowledged seq (u64)  76 CRC-32 of bytes 0..<76
///     12 sector count (u32)
///     16 program unit (u32)
///     20 erase count (u32)
///
/// The sector sequence grows by one per sector opened over the life of the log (the newest
/// sector has the highest); records in the sector store their sequence number and timestamp as
/// 32-bit offsets from the base values here; the acknowledged sequence is a cursor checkpoint.
public struct SectorHeader: Equatable, Sendable {
    public static let size = 80
    public static let magic: UInt32 = 0x474C_5245  // "ERLG" little-endian
    public static let version: UInt16 = 1

    public var sectorSize: UInt32
    public var sectorCount: UInt32
    public var programUnit: UInt32
    public var eraseCount: UInt32
    public var sectorSequence: UInt64
    public var baseSequence: UInt64
    public var baseWallMilliseconds: Int64
    public var acknowledged: UInt64
    public var droppedRecords: UInt64
    public var droppedBytes: UInt64

    public init(sectorSize: UInt32, sectorCount: UInt32, programUnit: UInt32, eraseCount: UInt32,
                sectorSequence: UInt64, baseSequence: UInt64, baseWallMilliseconds: Int64,
                acknowledged: UInt64, droppedRecords: UInt64, droppedBytes: UInt64) {
        self.sectorSize = sectorSize
        self.sectorCount = sectorCount
        self.programUnit = programUnit
        self.eraseCount = eraseCount
        self.sectorSequence = sectorSequence
        self.baseSequence = baseSequence
        self.baseWallMilliseconds = baseWallMilliseconds
        self.acknowledged = acknowledged
        self.droppedRecords = droppedRecords
        self.droppedBytes = droppedBytes
    }

    /// What a sector's first bytes turned out to be.
    public enum Decoded: Equatable {
        case valid(SectorHeader)
        /// All 0xFF: never written since the last erase.
        case erased
        /// Our magic but an unknown format version (written by a newer build).
        case unsupportedVersion(UInt16)
        /// Anything else (torn header, bit flip, foreign data).
        case corrupt
    }

    /// Writes the 80 header bytes at `p`.
    public func encode(into p: UnsafeMutableRawPointer) {
        LittleEndian.store32(p, 0, Self.magic)
        p.storeBytes(of: Self.version.littleEndian, toByteOffset: 4, as: UInt16.self)
        p.storeBytes(of: UInt16(Self.size).littleEndian, toByteOffset: 6, as: UInt16.self)
        LittleEndian.store32(p, 8, sectorSize)
        LittleEndian.store32(p, 12, sectorCount)
        LittleEndian.store32(p, 16, programUnit)
        LittleEndian.store32(p, 20, eraseCount)
        LittleEndian.store64(p, 24, sectorSequence)
        LittleEndian.store64(p, 32, baseSequence)
        LittleEndian.store64(p, 40, UInt64(bitPattern: baseWallMilliseconds))
        LittleEndian.store64(p, 48, acknowledged)
        LittleEndian.store64(p, 56, droppedRecords)
        LittleEndian.store64(p, 64, droppedBytes)
        LittleEndian.store32(p, 72, 0)
        LittleEndian.store32(p, 76, CRC32.checksum(UnsafeRawBufferPointer(start: p, count: 76)))
    }

    /// Reads a header from the first 80 bytes of `bytes` (which must hold at least 80).
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Decoded {
        guard bytes.count >= size, let p = bytes.baseAddress else { return .corrupt }
        var erased = true
        for i in 0..<size where bytes[i] != 0xFF { erased = false; break }
        if erased { return .erased }
        guard LittleEndian.load32(p, 0) == magic else { return .corrupt }
        let crc = LittleEndian.load32(p, 76)
        guard crc == CRC32.checksum(UnsafeRawBufferPointer(start: p, count: 76)) else { return .corrupt }
        let version = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard version == Self.version,
              UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 6, as: UInt16.self)) == UInt16(size) else {
            return .unsupportedVersion(version)
        }
        return .valid(SectorHeader(
            sectorSize: LittleEndian.load32(p, 8), sectorCount: LittleEndian.load32(p, 12),
            programUnit: LittleEndian.load32(p, 16), eraseCount: LittleEndian.load32(p, 20),
            sectorSequence: LittleEndian.load64(p, 24), baseSequence: LittleEndian.load64(p, 32),
            baseWallMilliseconds: Int64(bitPattern: LittleEndian.load64(p, 40)),
            acknowledged: LittleEndian.load64(p, 48), droppedRecords: LittleEndian.load64(p, 56),
            droppedBytes: LittleEndian.load64(p, 64)))
    }
}
