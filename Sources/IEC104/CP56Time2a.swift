/// The 7-byte binary time of IEC 60870-5 (CP56Time2a): milliseconds 0-59999, minutes, hours, day
/// of month and of week, month, year 0-99 (taken as 2000-2099), with the invalid (IV) and summer
/// time (SU) bits. Converted to and from milliseconds since 1970-01-01 as UTC: an outstation that
/// sends local time needs an offset applied by the caller.
public struct CP56Time2a: Equatable, Sendable {
    public static let length = 7
    /// The earliest and latest instants a 2-digit year can carry: 2000-01-01 and 2099-12-31.
    public static let earliest: Int64 = 946_684_800_000
    public static let latest: Int64 = 4_102_444_799_999

    /// Milliseconds since 1970-01-01 UTC.
    public var milliseconds: Int64
    /// IV: the outstation marks its clock as not synchronised or the time as not valid.
    public var invalid: Bool
    /// SU: summer time (kept, not applied).
    public var summerTime: Bool

    public init(milliseconds: Int64, invalid: Bool = false, summerTime: Bool = false) {
        self.milliseconds = milliseconds
        self.invalid = invalid
        self.summerTime = summerTime
    }

    /// Decodes 7 bytes at `offset`; throws `.badTime` (naming the byte) on a field out of range.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(IEC104Error) -> CP56Time2a {
        guard offset >= 0, bytes.count - offset >= length else { throw IEC104Error(.truncated, offset: bytes.count) }
        let ms = Int64(bytes[offset]) | Int64(bytes[offset + 1]) << 8
        let minuteByte = bytes[offset + 2], hourByte = bytes[offset + 3]
        let minute = Int64(minuteByte & 0x3F), hour = Int64(hourByte & 0x1F)
        let day = Int64(bytes[offset + 4] & 0x1F), month = Int64(bytes[offset + 5] & 0x0F)
        let year = Int64(bytes[offset + 6] & 0x7F)
        guard ms < 60_000 else { throw IEC104Error(.badTime, offset: offset, value: Int(ms)) }
        guard minute < 60 else { throw IEC104Error(.badTime, offset: offset + 2, value: Int(minute)) }
        guard hour < 24 else { throw IEC104Error(.badTime, offset: offset + 3, value: Int(hour)) }
        guard month >= 1, month <= 12 else { throw IEC104Error(.badTime, offset: offset + 5, value: Int(month)) }
        guard year < 100 else { throw IEC104Error(.badTime, offset: offset + 6, value: Int(year)) }
        let y = 2000 + year
        guard day >= 1, day <= daysInMonth(year: y, month: month) else { throw IEC104Error(.badTime, offset: offset + 4, value: Int(day)) }
        let days = daysFromCivil(year: y, month: month, day: day)
        let total = ((days * 24 + hour) * 60 + minute) * 60_000 + ms
        return CP56Time2a(milliseconds: total, invalid: minuteByte & 0x80 != 0, summerTime: hourByte & 0x80 != 0)
    }

    /// Writes 7 bytes at `offset`. Instants outside 2000-2099 throw `.valueOutOfRange`. The day of
    /// week is set (1 = Monday ... 7 = Sunday), as lib60870 and most outstations do.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(IEC104Error) {
        guard offset >= 0, buffer.count - offset >= Self.length else { throw IEC104Error(.bufferTooSmall, value: Self.length) }
        guard milliseconds >= Self.earliest, milliseconds <= Self.latest else { throw IEC104Error(.valueOutOfRange, value: 0) }
        let days = milliseconds / 86_400_000
        let inDay = milliseconds % 86_400_000
        let (y, m, d) = Self.civilFromDays(days)
        let ms = inDay % 60_000
        let minute = (inDay / 60_000) % 60
        let hour = inDay / 3_600_000
        let weekday = (days + 3) % 7 + 1   // 1970-01-01 was a Thursday (4)
        buffer[offset] = UInt8(truncatingIfNeeded: ms)
        buffer[offset + 1] = UInt8(truncatingIfNeeded: ms >> 8)
        buffer[offset + 2] = UInt8(truncatingIfNeeded: minute) | (invalid ? 0x80 : 0)
        buffer[offset + 3] = UInt8(truncatingIfNeeded: hour) | (summerTime ? 0x80 : 0)
        buffer[offset + 4] = UInt8(truncatingIfNeeded: d) | UInt8(truncatingIfNeeded: weekday) << 5
        buffer[offset + 5] = UInt8(truncatingIfNeeded: m)
        buffer[offset + 6] = UInt8(truncatingIfNeeded: y - 2000)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
