import EdgeCompute

/// Why a stored alarm record cannot be read back.
public enum AlarmRecordError: Error, Equatable, Sendable {
    /// The first byte is not `AlarmRecord.marker`: another kind of record (a sample record).
    case notAnAlarmRecord(UInt8)
    /// Shorter than its header or than the values its header announces.
    case truncated(offset: Int)
    /// Longer than its header and values: not a record this code wrote.
    case trailingBytes(offset: Int)
    case badKind(UInt8)
    case badLevel(UInt8)
    case badQuality(offset: Int)
    case tooManyValues(UInt8)
}

/// A raise or clear in the ring log, little endian:
///
///     marker u8 (0xA1) | kind u8 (1 raise, 2 clear, 3 still active) | level u8 | value count u8 (≤ 8) |
///     rule fingerprint u32 | rule index u32 | time ms i64 |
///     value: f64 | quality u8 (0 good, 1 bad)  × count
///
/// The marker tells alarm records from sample records (`SampleRecord`, first byte 1 or 2) in the
/// one log. The fingerprint (of the rule's identifier) names the rule across configuration changes;
/// the index is a hint. The values are the rule's captured points (message placeholders, point
/// outputs) when the transition happened, so that the event posted after an outage says what
/// they were then. A "still active" record (kind 3) is a copy of an active alarm's raise,
/// re-appended when the log is about to reclaim the sector of the raise's last copy
/// (`restatement(of:into:)`): recovery reads it as the raise (same time, same values), and the
/// uplink never sends it. Pure: encodes into and decodes from caller buffers, never allocates.
public enum AlarmRecord {
    public static let marker: UInt8 = 0xA1
    /// The kind byte of a "still active" record.
    public static let stillActiveKind: UInt8 = 3
    public static let headerSize = 20
    public static let valueSize = 9
    public static let maximumSize = headerSize + AlarmRuleSetBuilder.maximumCaptures * valueSize

    /// Encodes `transition` of a rule of `rules` with its captured values read from `inputs`; the
    /// byte count, or nil (nothing meaningful written) when `buffer` is too small.
    public static func encode(_ transition: AlarmTransition, rules: AlarmRuleSet, inputs: AlarmInputs,
                              into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard transition.rule >= 0, transition.rule < rules.count else { return nil }
        let rule = rules.rules[transition.rule]
        let n = Int(rule.captureCount)
        let size = headerSize + n * valueSize
        guard buffer.count >= size, Int(rule.captureStart) + n <= rules.captures.count else { return nil }
        buffer[0] = marker
        buffer[1] = transition.kind.rawValue
        buffer[2] = rule.level.rawValue
        buffer[3] = UInt8(n)
        put(UInt64(rule.fingerprint), 4, at: 4, buffer)
        put(UInt64(UInt32(truncatingIfNeeded: transition.rule)), 4, at: 8, buffer)
        put(UInt64(bitPattern: transition.timeMilliseconds), 8, at: 12, buffer)
        for k in 0..<n {
            let slot = Int(rules.captures[Int(rule.captureStart) + k])
            var value = 0.0
            var good = false
            if slot < inputs.values.count, slot < inputs.qualities.count {
                value = inputs.values[slot]
                good = inputs.qualities[slot] == .good && value.isFinite
            }
            let o = headerSize + k * valueSize
            put(value.bitPattern, 8, at: o, buffer)
            buffer[o + 8] = good ? 0 : 1
        }
        return size
    }

    /// The "still active" copy of `raise` (a raise record, or a copy of one) in `buffer`: the same
    /// bytes with kind 3. The byte count, or nil when `raise` is not a raise or its copy, or when
    /// `buffer` is too small.
    public static func restatement(of raise: AlarmRecordView, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard raise.kind == .raise, buffer.count >= raise.bytes.count else { return nil }
        buffer.copyMemory(from: raise.bytes)
        buffer[1] = stillActiveKind
        return raise.bytes.count
    }

    /// `record` (any alarm record) with `count` values, each 0 and marked bad, in `buffer`: its
    /// kind, level, fingerprint, rule and time kept. For a record written before a configuration
    /// change altered its rule's captured values (`AlarmRecordSlots.store`): which points its
    /// values were is not in the record. The byte count, or nil when `buffer` is too small or
    /// `count` is over the maximum.
    public static func withoutValues(of record: AlarmRecordView, count: Int,
                                     into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let size = headerSize + count * valueSize
        guard count >= 0, count <= AlarmRuleSetBuilder.maximumCaptures, buffer.count >= size else { return nil }
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: record.bytes[0..<headerSize]))
        buffer[3] = UInt8(count)
        for k in 0..<count {
            let o = headerSize + k * valueSize
            put(0, 8, at: o, buffer)
            buffer[o + 8] = 1
        }
        return size
    }

    /// True when a stored record is a "still active" copy (never sent to the cloud). Reads only
    /// the first two bytes.
    public static func isStillActive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 2 && bytes[0] == marker && bytes[1] == stillActiveKind
    }

    static func put(_ v: UInt64, _ width: Int, at o: Int, _ b: UnsafeMutableRawBufferPointer) {
        for i in 0..<width { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    static func get(_ b: UnsafeRawBufferPointer, _ o: Int, _ width: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(b[o + i]) << (8 * UInt64(i)) }
        return v
    }
}

/// One alarm record read in place (the caller's bytes must outlive it). Checked whole at init:
/// after that every accessor is in bounds. Allocates nothing.
public struct AlarmRecordView {
    public let bytes: UnsafeRawBufferPointer
    /// `.raise` for a raise and for its "still active" copies (`isStillActive`), `.clear`.
    public let kind: AlarmTransition.Kind
    /// A "still active" copy of a raise (kind byte 3): not an event of its own.
    public let isStillActive: Bool
    public let level: AlarmLevel
    public let fingerprint: UInt32
    public let ruleHint: Int
    public let timeMilliseconds: Int64
    public let valueCount: Int

    public init(_ bytes: UnsafeRawBufferPointer) throws(AlarmRecordError) {
        guard bytes.count >= 1 else { throw .truncated(offset: 0) }
        guard bytes[0] == AlarmRecord.marker else { throw .notAnAlarmRecord(bytes[0]) }
        guard bytes.count >= AlarmRecord.headerSize else { throw .truncated(offset: bytes.count) }
        let stillActive = bytes[1] == AlarmRecord.stillActiveKind
        guard let kind = stillActive ? .raise : AlarmTransition.Kind(rawValue: bytes[1]) else { throw .badKind(bytes[1]) }
        guard let level = AlarmLevel(rawValue: bytes[2]) else { throw .badLevel(bytes[2]) }
        let n = Int(bytes[3])
        guard n <= AlarmRuleSetBuilder.maximumCaptures else { throw .tooManyValues(bytes[3]) }
        let size = AlarmRecord.headerSize + n * AlarmRecord.valueSize
        guard bytes.count >= size else { throw .truncated(offset: bytes.count) }
        guard bytes.count == size else { throw .trailingBytes(offset: size) }
        for k in 0..<n {
            let o = AlarmRecord.headerSize + k * AlarmRecord.valueSize + 8
            guard bytes[o] <= 1 else { throw .badQuality(offset: o) }
        }
        self.bytes = bytes
        self.kind = kind
        self.isStillActive = stillActive
        self.level = level
        self.valueCount = n
        fingerprint = UInt32(truncatingIfNeeded: AlarmRecord.get(bytes, 4, 4))
        ruleHint = Int(UInt32(truncatingIfNeeded: AlarmRecord.get(bytes, 8, 4)))
        timeMilliseconds = Int64(bitPattern: AlarmRecord.get(bytes, 12, 8))
    }

    /// Captured value `k` (0 ..< valueCount) and whether it was good.
    public func value(_ k: Int) -> (value: Double, good: Bool) {
        guard k >= 0, k < valueCount else { return (0, false) }
        let o = AlarmRecord.headerSize + k * AlarmRecord.valueSize
        return (Double(bitPattern: AlarmRecord.get(bytes, o, 8)), bytes[o + 8] == 0)
    }
}
