import EdgeCore

/// The framing of one record (16 bytes of overhead, then the payload, padded to 4 bytes):
///
///     0  kind (high byte) | payload length (low 24 bits)   u32
///     4  sequence - sector's base sequence                 u32
///     8  wall time - sector's base wall time, milliseconds i32
///     12 CRC-32 of: sector sequence (u64) ‖ record sequence (u64) ‖ bytes 0..<12 ‖ payload
///
/// The CRC covers the full 64-bit sequence number and the sector's own sequence, so a record
/// can never be mistaken for one of an earlier life of the same sector. A word of 0xFFFFFFFF
/// where a record would start means "nothing written yet"; a word of 0 is padding up to the next
/// program unit (NAND pages). Kinds: 1 data, 2 cursor checkpoint (8-byte payload), 3 drop count
/// (16-byte payload).
public enum RecordFormat {
    public static let overhead = 16
    /// Largest length the framing can express.
    public static let maximumEncodablePayload = 0xFF_FFFF
    public static let dataKind: UInt8 = 1
    public static let checkpointKind: UInt8 = 2
    /// Written into the old head just before the drop policy erases the oldest sector: the
    /// cumulative dropped records and bytes (u64, u64), so the count survives a cut right after.
    public static let dropKind: UInt8 = 3

    /// The payload length a non-data kind must have (nil: any).
    @inlinable static func fixedLength(of kind: UInt8) -> Int? {
        switch kind {
        case checkpointKind: return 8
        case dropKind: return 16
        default: return nil
        }
    }

    /// Bytes a record with this payload takes on flash.
    @inlinable public static func framedSize(payload: Int) -> Int { (overhead + payload + 3) & ~3 }

    @inlinable static func checksum(sectorSequence: UInt64, sequence: UInt64, head: UnsafeRawPointer,
                                    payload: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32()
        var prefix: (UInt64, UInt64) = (sectorSequence.littleEndian, sequence.littleEndian)
        withUnsafeBytes(of: &prefix) { crc.update($0) }
        crc.update(UnsafeRawBufferPointer(start: head, count: 12))
        crc.update(payload)
        return crc.value
    }

    /// Writes a record at `p` (which must have `framedSize(payload:)` bytes) and returns its size.
    @inlinable public static func encode(into p: UnsafeMutableRawPointer, kind: UInt8, sectorSequence: UInt64,
                                         sequence: UInt64, sequenceDelta: UInt32, timeDelta: Int32,
                                         payload: UnsafeRawBufferPointer) -> Int {
        let size = framedSize(payload: payload.count)
        LittleEndian.store32(p, 0, UInt32(kind) << 24 | UInt32(payload.count))
        LittleEndian.store32(p, 4, sequenceDelta)
        LittleEndian.store32(p, 8, UInt32(bitPattern: timeDelta))
        if payload.count > 0 { (p + overhead).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        var pad = overhead + payload.count
        while pad < size { p.storeBytes(of: 0 as UInt8, toByteOffset: pad, as: UInt8.self); pad += 1 }
        let crc = checksum(sectorSequence: sectorSequence, sequence: sequence, head: UnsafeRawPointer(p),
                           payload: UnsafeRawBufferPointer(start: p + overhead, count: payload.count))
        LittleEndian.store32(p, 12, crc)
        return size
    }
}

/// One step of `RecordScanner`.
public enum ScannedRecord: Equatable {
    /// A data record with a good CRC at `offset` in the sector.
    case data(sequence: UInt64, offset: Int, length: Int, wallMilliseconds: Int64)
    /// A cursor checkpoint.
    case checkpoint(acknowledged: UInt64, offset: Int)
    /// Cumulative drop counters written before an erase.
    case drops(records: UInt64, bytes: UInt64, offset: Int)
    /// Nothing more: erased bytes (or the end of the image) start at `offset`.
    case end(offset: Int)
    /// A torn or corrupt record at `offset`: nothing after it in this sector can be trusted.
    case corrupt(offset: Int)
}

/// Walks the records of one sector image in memory (a pure function of the bytes): checks kind,
/// length, sequence continuity and CRC of each, and stops at the first erased word or the first
/// torn or corrupt record.
public struct RecordScanner {
    let image: UnsafeRawBufferPointer
    let header: SectorHeader
    let unit: Int
    public private(set) var offset: Int
    /// Data records seen so far (the next data record's sequence offset).
    public private(set) var dataRecords: UInt32 = 0

    public init(image: UnsafeRawBufferPointer, header: SectorHeader, programUnit: Int) {
        self.image = image
        self.header = header
        self.unit = max(programUnit, 1)
        offset = SectorHeader.size
    }

    public mutating func next() -> ScannedRecord {
        let p = image.baseAddress!
        while true {
            if offset + 4 > image.count { return .end(offset: offset) }
            let word = LittleEndian.load32(p, offset)
            if word == 0xFFFF_FFFF { return .end(offset: offset) }
            if word == 0 {
                let next = (offset / unit + 1) * unit
                if unit <= 4 { return .corrupt(offset: offset) }
                offset = min(next, image.count)
                continue
            }
            let kind = UInt8(word >> 24)
            let length = Int(word & 0xFF_FFFF)
            let size = RecordFormat.framedSize(payload: length)
            guard kind == RecordFormat.dataKind || RecordFormat.fixedLength(of: kind) == length,
                  offset + size <= image.count else { return .corrupt(offset: offset) }
            let delta = LittleEndian.load32(p, offset + 4)
            guard delta == dataRecords else { return .corrupt(offset: offset) }
            let sequence = header.baseSequence &+ UInt64(delta)
            let payload = UnsafeRawBufferPointer(start: p + offset + RecordFormat.overhead, count: length)
            let crc = RecordFormat.checksum(sectorSequence: header.sectorSequence, sequence: sequence,
                                            head: p + offset, payload: payload)
            guard crc == LittleEndian.load32(p, offset + 12) else { return .corrupt(offset: offset) }
            let at = offset
            offset += size
            if kind == RecordFormat.checkpointKind {
                return .checkpoint(acknowledged: LittleEndian.load64(p, at + RecordFormat.overhead), offset: at)
            }
            if kind == RecordFormat.dropKind {
                return .drops(records: LittleEndian.load64(p, at + RecordFormat.overhead),
                              bytes: LittleEndian.load64(p, at + RecordFormat.overhead + 8), offset: at)
            }
            dataRecords += 1
            let timeDelta = Int32(bitPattern: LittleEndian.load32(p, at + 8))
            return .data(sequence: sequence, offset: at, length: length,
                         wallMilliseconds: header.baseWallMilliseconds &+ Int64(timeDelta))
        }
    }
}
