import EdgeCore
import FieldBus

/// Why a stored sample record cannot be read back: it is not one of ours, or it is cut short.
public enum SampleRecordError: Error, Equatable, Sendable {
    case unknownVersion(UInt8)
    case truncated(offset: Int)
    case badTag(offset: Int)
}

/// The compact binary form of bus samples in the ring log: one record holds up to 255 samples
/// (any devices), stamped with a base wall time and each sample with its offset from it. Little
/// endian throughout:
///
///     record:  version u8 (2) | count u8 | base wall ms i64 | layout u32
///     sample:  device u16 | point u16 | time offset ms i32 | quality u8 | quality detail u8 |
///              value tag u8 | value (bool: u8; int/uint/double: 8 bytes; string: length u8 + bytes)
///
/// `layout` is the fingerprint of the configuration's device and point table the indices refer to
/// (`SampleLayout`): a record is never read with another configuration's indices unmapped.
/// Version 1 records (before the layout was added) have the 10-byte header without it; they are
/// still read.
///
/// Pure: encodes into and decodes from caller buffers, never allocates.
public enum SampleRecord {
    public static let version: UInt8 = 2
    public static let headerSize = 14
    static let version1HeaderSize = 10
    /// The largest encoded sample (a string of `ShortString.capacity` bytes).
    public static let maximumSampleSize = 12 + 1 + ShortString.capacity

    /// Bytes `sample` takes in a record.
    public static func encodedSize(_ sample: Sample) -> Int {
        switch sample.value {
        case .bool: return 12 + 1
        case .int, .uint, .double: return 12 + 8
        case .string(let s): return 12 + 1 + s.count
        }
    }

    static func qualityCode(_ q: Quality) -> (UInt8, UInt8) {
        switch q {
        case .good: return (0, 0)
        case .timeout: return (1, 0)
        case .exception(let c): return (2, c)
        case .crcError: return (3, 0)
        case .invalidResponse: return (4, 0)
        case .offline: return (5, 0)
        case .ioError(let e): return (6, UInt8(truncatingIfNeeded: e))
        case .formulaFault(let f): return (7, f)
        case .flagged(let f): return (8, f)
        }
    }

    static func quality(code: UInt8, detail: UInt8) -> Quality? {
        switch code {
        case 0: return .good
        case 1: return .timeout
        case 2: return .exception(detail)
        case 3: return .crcError
        case 4: return .invalidResponse
        case 5: return .offline
        case 6: return .ioError(Int32(detail))
        case 7: return .formulaFault(detail)
        case 8: return .flagged(detail)
        default: return nil
        }
    }
}

/// Builds one sample record in a caller buffer: `begin`, then `append` until it says the record
/// is full, then store `bytes`. Allocates nothing.
public struct SampleRecordWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    public private(set) var samples = 0
    public private(set) var base = WallTime(milliseconds: 0)
    /// The layout fingerprint every record gets.
    public let layout: UInt32

    /// `buffer` must hold at least a header and one sample of the largest size.
    public init(buffer: UnsafeMutableRawBufferPointer, layout: UInt32 = 0) {
        precondition(buffer.count >= SampleRecord.headerSize + SampleRecord.maximumSampleSize, "SampleRecordWriter: buffer too small")
        self.buffer = buffer
        self.layout = layout
    }

    public var isEmpty: Bool { samples == 0 }

    /// Starts a new record with this base time (the first sample's time).
    public mutating func begin(base: WallTime) {
        self.base = base
        buffer[0] = SampleRecord.version
        buffer[1] = 0
        put64(UInt64(bitPattern: base.milliseconds), at: 2)
        put32(layout, at: 10)
        count = SampleRecord.headerSize
        samples = 0
    }

    /// Adds a sample; false (nothing added) when the record is full or the time is too far from
    /// the base for an i32 offset.
    public mutating func append(_ sample: Sample) -> Bool {
        if samples == 0 && count == 0 { begin(base: sample.time) }
        let size = SampleRecord.encodedSize(sample)
        guard samples < 255, count + size <= buffer.count else { return false }
        let delta = sample.time.milliseconds &- base.milliseconds
        guard delta >= Int64(Int32.min), delta <= Int64(Int32.max) else { return false }
        var o = count
        put16(UInt16(truncatingIfNeeded: sample.device), at: o); o += 2
        put16(UInt16(truncatingIfNeeded: sample.point), at: o); o += 2
        put32(UInt32(bitPattern: Int32(delta)), at: o); o += 4
        let (q, d) = SampleRecord.qualityCode(sample.quality)
        buffer[o] = q; buffer[o + 1] = d; o += 2
        switch sample.value {
        case .bool(let b): buffer[o] = 0; buffer[o + 1] = b ? 1 : 0; o += 2
        case .int(let v): buffer[o] = 1; put64(UInt64(bitPattern: v), at: o + 1); o += 9
        case .uint(let v): buffer[o] = 2; put64(v, at: o + 1); o += 9
        case .double(let v): buffer[o] = 3; put64(v.bitPattern, at: o + 1); o += 9
        case .string(let s):
            buffer[o] = 4; buffer[o + 1] = UInt8(s.count); o += 2
            for i in 0..<s.count { buffer[o + i] = s[i] }
            o += s.count
        }
        count = o
        samples += 1
        buffer[1] = UInt8(samples)
        return true
    }

    /// The record so far.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    /// Forgets the record (the next append begins a new one).
    public mutating func reset() {
        count = 0
        samples = 0
    }

    mutating func put16(_ v: UInt16, at o: Int) {
        buffer[o] = UInt8(truncatingIfNeeded: v)
        buffer[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }

    mutating func put32(_ v: UInt32, at o: Int) {
        for i in 0..<4 { buffer[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    mutating func put64(_ v: UInt64, at o: Int) {
        for i in 0..<8 { buffer[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }
}

/// Reads the samples of one record, in the order they were appended. Allocates nothing.
public struct SampleRecordReader {
    let bytes: UnsafeRawBufferPointer
    var offset = SampleRecord.headerSize
    var remaining = 0
    public private(set) var base = WallTime(milliseconds: 0)
    /// Samples the record says it holds.
    public private(set) var sampleCount = 0
    /// The layout fingerprint the record was written with (nil: a version 1 record, without one).
    public private(set) var layout: UInt32? = nil

    public init(_ bytes: UnsafeRawBufferPointer) throws(SampleRecordError) {
        self.bytes = bytes
        guard bytes.count >= 1 else { throw .truncated(offset: 0) }
        switch bytes[0] {
        case 1:
            offset = SampleRecord.version1HeaderSize
        case SampleRecord.version:
            offset = SampleRecord.headerSize
        default:
            throw .unknownVersion(bytes[0])
        }
        guard bytes.count >= offset else { throw .truncated(offset: 0) }
        if bytes[0] == SampleRecord.version { layout = SampleRecordReader.get32(bytes, 10) }
        sampleCount = Int(bytes[1])
        remaining = sampleCount
        base = WallTime(milliseconds: Int64(bitPattern: SampleRecordReader.get64(bytes, 2)))
    }

    /// The next sample, or nil after the last.
    public mutating func next() throws(SampleRecordError) -> Sample? {
        guard remaining > 0 else { return nil }
        let o = offset
        guard o + 11 <= bytes.count else { throw .truncated(offset: o) }
        let device = Int(SampleRecordReader.get16(bytes, o))
        let point = Int(SampleRecordReader.get16(bytes, o + 2))
        let delta = Int32(bitPattern: SampleRecordReader.get32(bytes, o + 4))
        guard let quality = SampleRecord.quality(code: bytes[o + 8], detail: bytes[o + 9]) else { throw .badTag(offset: o + 8) }
        let value: PointValue
        var end = o + 11
        switch bytes[o + 10] {
        case 0:
            guard end + 1 <= bytes.count else { throw .truncated(offset: end) }
            value = .bool(bytes[end] != 0); end += 1
        case 1, 2, 3:
            guard end + 8 <= bytes.count else { throw .truncated(offset: end) }
            let raw = SampleRecordReader.get64(bytes, end)
            value = bytes[o + 10] == 1 ? .int(Int64(bitPattern: raw)) : bytes[o + 10] == 2 ? .uint(raw) : .double(Double(bitPattern: raw))
            end += 8
        case 4:
            guard end + 1 <= bytes.count else { throw .truncated(offset: end) }
            let n = Int(bytes[end]); end += 1
            guard n <= ShortString.capacity, end + n <= bytes.count else { throw .truncated(offset: end) }
            var s = ShortString()
            for i in 0..<n { s.append(bytes[end + i]) }
            value = .string(s); end += n
        default:
            throw .badTag(offset: o + 10)
        }
        offset = end
        remaining -= 1
        return Sample(device: device, point: point, value: value, quality: quality,
                      time: WallTime(milliseconds: base.milliseconds &+ Int64(delta)))
    }

    static func get16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    static func get32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[o + i]) << (8 * UInt32(i)) }
        return v
    }
    static func get64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[o + i]) << (8 * UInt64(i)) }
        return v
    }
}
