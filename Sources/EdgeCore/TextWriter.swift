/// Writes human-readable text into a caller-owned, fixed-size buffer: the console's command
/// output and the logger's lines are built with it.
///
/// Guarantees:
/// - no heap allocation in any call (numbers are formatted on the stack; StaticStrings and native
///   Strings are copied byte for byte);
/// - never writes past the buffer: what does not fit is dropped, `isTruncated` turns true and
///   stays true until `reset()`; a multi-byte UTF-8 character is never cut in half;
/// - `column` counts bytes since the last `\n`, for lining up tables with `pad(toColumn:)`.
public struct TextWriter {
    /// The caller's buffer; the text is `buffer[0..<count]`.
    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0
    /// True once something did not fit.
    public private(set) var isTruncated = false
    private var lineStart = 0

    /// A writer over `buffer` (the caller keeps it alive while writing and reading).
    public init(buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// Forgets everything written, to build the next text in the same buffer.
    public mutating func reset() {
        count = 0
        isTruncated = false
        lineStart = 0
    }

    /// The text written so far.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// Bytes still free.
    public var remaining: Int { buffer.count - count }

    /// Bytes written since the last newline.
    public var column: Int { count - lineStart }

    // MARK: Text

    /// Writes one byte (dropped if full).
    public mutating func write(byte: UInt8) {
        guard count < buffer.count else {
            isTruncated = true
            return
        }
        buffer[count] = byte
        count += 1
        if byte == 0x0A { lineStart = count }
    }

    /// Writes raw bytes; when they do not all fit, as many whole UTF-8 characters as fit.
    public mutating func write(bytes source: UnsafeRawBufferPointer) {
        var n = source.count
        if n > remaining {
            isTruncated = true
            n = remaining
            // Do not end inside a UTF-8 sequence: back up to the start of the cut character.
            if n < source.count {
                while n > 0 && source[n] & 0xC0 == 0x80 { n -= 1 }
            }
        }
        guard n > 0, let base = source.baseAddress, let dest = buffer.baseAddress else { return }
        (dest + count).copyMemory(from: base, byteCount: n)
        for i in 0..<n where source[i] == 0x0A { lineStart = count + i + 1 }
        count += n
    }

    /// Writes a static string.
    public mutating func write(_ text: StaticString) {
        if text.hasPointerRepresentation {
            write(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        } else {
            write(scalar: text.unicodeScalar)
        }
    }

    /// Writes a string (no allocation for native Swift strings).
    public mutating func write(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            write(bytes: UnsafeRawBufferPointer(utf8))
        }
        if done == nil {
            for scalar in text.unicodeScalars { write(scalar: scalar) }
        }
    }

    /// Writes one Unicode scalar as UTF-8.
    public mutating func write(scalar: Unicode.Scalar) {
        var encoded: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var n = 0
        let v = scalar.value
        if v < 0x80 {
            encoded.0 = UInt8(v); n = 1
        } else if v < 0x800 {
            encoded.0 = UInt8(0xC0 | (v >> 6)); encoded.1 = UInt8(0x80 | (v & 0x3F)); n = 2
        } else if v < 0x10000 {
            encoded.0 = UInt8(0xE0 | (v >> 12)); encoded.1 = UInt8(0x80 | ((v >> 6) & 0x3F))
            encoded.2 = UInt8(0x80 | (v & 0x3F)); n = 3
        } else {
            encoded.0 = UInt8(0xF0 | (v >> 18)); encoded.1 = UInt8(0x80 | ((v >> 12) & 0x3F))
            encoded.2 = UInt8(0x80 | ((v >> 6) & 0x3F)); encoded.3 = UInt8(0x80 | (v & 0x3F)); n = 4
        }
        withUnsafeBytes(of: &encoded) { raw in
            write(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
        }
    }

    /// Writes a newline.
    public mutating func newline() { write(byte: 0x0A) }

    /// Writes a static string and a newline.
    public mutating func line(_ text: StaticString) {
        write(text)
        newline()
    }

    /// Writes `n` spaces.
    public mutating func spaces(_ n: Int) {
        var i = 0
        while i < n { write(byte: 0x20); i += 1 }
    }

    /// Writes spaces up to `target` bytes from the start of the line, or one space if the line is
    /// already that long (so that columns never run together).
    public mutating func pad(toColumn target: Int) {
        let c = column
        spaces(c < target ? target - c : 1)
    }

    // MARK: Numbers

    /// Writes an integer in decimal (a leading `-` when negative).
    public mutating func write<T: BinaryInteger>(_ value: T) {
        if value < 0 {
            write(byte: UInt8(ascii: "-"))
            write(unsigned: UInt64(truncatingIfNeeded: value.magnitude))
        } else {
            write(unsigned: UInt64(truncatingIfNeeded: value))
        }
    }

    // Concrete overloads: unspecialized generic code (debug builds, calls across modules)
    // allocates; these never do.
    public mutating func write(_ value: Int) { write(signed: Int64(value)) }
    public mutating func write(_ value: Int64) { write(signed: value) }
    public mutating func write(_ value: Int32) { write(signed: Int64(value)) }
    public mutating func write(_ value: Int16) { write(signed: Int64(value)) }
    public mutating func write(_ value: UInt) { write(unsigned: UInt64(value)) }
    public mutating func write(_ value: UInt64) { write(unsigned: value) }
    public mutating func write(_ value: UInt32) { write(unsigned: UInt64(value)) }
    public mutating func write(_ value: UInt16) { write(unsigned: UInt64(value)) }
    public mutating func write(_ value: UInt8) { write(unsigned: UInt64(value)) }

    private mutating func write(signed value: Int64) {
        if value < 0 { write(byte: UInt8(ascii: "-")) }
        write(unsigned: value.magnitude)
    }

    /// Writes an integer in decimal, left-padded with zeros to at least `width` digits.
    public mutating func write(unsigned value: UInt64, zeroPaddedTo width: Int = 1) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for 20 digits
        var n = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            var v = value
            repeat {
                raw[23 - n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            while n < width && n < 24 {
                raw[23 - n] = UInt8(ascii: "0")
                n += 1
            }
            write(bytes: UnsafeRawBufferPointer(rebasing: raw[(24 - n)..<24]))
        }
    }

    /// Writes an unsigned integer as hexadecimal digits (lowercase, no prefix), zero-padded to
    /// `width` digits.
    public mutating func write(hex value: UInt64, width: Int = 1) {
        var started = false
        var shift = 60
        while shift >= 0 {
            let d = UInt8((value >> UInt64(shift)) & 0xF)
            if d != 0 || started || shift / 4 < width || shift == 0 {
                started = true
                write(byte: d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10)
            }
            shift -= 4
        }
    }

    /// Writes a double with exactly `fractionDigits` digits after the point (0...9), rounded half
    /// away from zero; magnitudes beyond 9e15 and non-finite values use `write(shortest:)`.
    public mutating func write(_ value: Double, fractionDigits: Int) {
        let d = max(0, min(9, fractionDigits))
        var scale: UInt64 = 1
        for _ in 0..<d { scale *= 10 }
        let magnitude = value < 0 ? -value : value
        guard value.isFinite, magnitude * Double(scale) < 9e15 else {
            write(shortest: value)
            return
        }
        let scaled = UInt64(magnitude * Double(scale) + 0.5)
        if value < 0 && scaled != 0 { write(byte: UInt8(ascii: "-")) }
        write(unsigned: scaled / scale)
        if d > 0 {
            write(byte: UInt8(ascii: "."))
            write(unsigned: scaled % scale, zeroPaddedTo: d)
        }
    }

    /// Writes a double with the shortest digits (at most 15 significant) that read back as the
    /// same value: `230.5`, `0.0125`, `1e+21`; `nan`, `inf`, `-inf`.
    public mutating func write(shortest value: Double) {
        if value.isNaN { write("nan"); return }
        if value.isInfinite { write(value < 0 ? "-inf" : "inf"); return }
        if value == 0 { write(value.sign == .minus ? "-0" : "0"); return }
        if value < 0 { write(byte: UInt8(ascii: "-")) }
        let digits = DecimalConversion.shortestDigits(of: value < 0 ? -value : value, maxDigits: 15)
        var text: (UInt64, UInt64) = (0, 0)   // 16 bytes: room for 15 digits
        var n = 0
        withUnsafeMutableBytes(of: &text) { raw in
            var v = digits.digits
            for i in stride(from: digits.count - 1, through: 0, by: -1) {
                raw[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            n = digits.count
            let e = digits.exponent
            if e >= 0 && e < 16 {
                // Integer part is the first e+1 digits (padded with zeros).
                if n <= e + 1 {
                    write(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                    for _ in 0..<(e + 1 - n) { write(byte: UInt8(ascii: "0")) }
                } else {
                    write(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<(e + 1)]))
                    write(byte: UInt8(ascii: "."))
                    write(bytes: UnsafeRawBufferPointer(rebasing: raw[(e + 1)..<n]))
                }
            } else if e < 0 && e >= -6 {
                write("0.")
                for _ in 0..<(-e - 1) { write(byte: UInt8(ascii: "0")) }
                write(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<n]))
            } else {
                write(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<1]))
                if n > 1 {
                    write(byte: UInt8(ascii: "."))
                    write(bytes: UnsafeRawBufferPointer(rebasing: raw[1..<n]))
                }
                write(byte: UInt8(ascii: "e"))
                write(byte: UInt8(ascii: e < 0 ? "-" : "+"))
                write(e < 0 ? -e : e)
            }
        }
    }

    /// Writes a wall-clock time as ISO 8601 UTC with milliseconds: `2026-01-01T00:00:00.000Z`.
    public mutating func write(utc time: WallTime) {
        var ms = time.milliseconds
        var days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        ms -= days * 86_400_000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        if year < 0 { write(byte: UInt8(ascii: "-")) }
        write(unsigned: UInt64(year < 0 ? -year : year), zeroPaddedTo: 4)
        write(byte: UInt8(ascii: "-"))
        write(unsigned: UInt64(month), zeroPaddedTo: 2)
        write(byte: UInt8(ascii: "-"))
        write(unsigned: UInt64(day), zeroPaddedTo: 2)
        write(byte: UInt8(ascii: "T"))
        write(unsigned: UInt64(ms / 3_600_000), zeroPaddedTo: 2)
        write(byte: UInt8(ascii: ":"))
        write(unsigned: UInt64(ms / 60_000 % 60), zeroPaddedTo: 2)
        write(byte: UInt8(ascii: ":"))
        write(unsigned: UInt64(ms / 1000 % 60), zeroPaddedTo: 2)
        write(byte: UInt8(ascii: "."))
        write(unsigned: UInt64(ms % 1000), zeroPaddedTo: 3)
        write(byte: UInt8(ascii: "Z"))
    }

    /// Writes a duration in milliseconds compactly: `850ms`, `12.3s`, `4m05s`, `3h07m`, `2d04h`.
    public mutating func write(durationMilliseconds ms: UInt64) {
        if ms < 1000 {
            write(unsigned: ms); write("ms")
        } else if ms < 60_000 {
            write(unsigned: ms / 1000); write(byte: UInt8(ascii: "."))
            write(unsigned: ms % 1000 / 100); write(byte: UInt8(ascii: "s"))
        } else if ms < 3_600_000 {
            write(unsigned: ms / 60_000); write(byte: UInt8(ascii: "m"))
            write(unsigned: ms / 1000 % 60, zeroPaddedTo: 2); write(byte: UInt8(ascii: "s"))
        } else if ms < 86_400_000 {
            write(unsigned: ms / 3_600_000); write(byte: UInt8(ascii: "h"))
            write(unsigned: ms / 60_000 % 60, zeroPaddedTo: 2); write(byte: UInt8(ascii: "m"))
        } else {
            write(unsigned: ms / 86_400_000); write(byte: UInt8(ascii: "d"))
            write(unsigned: ms / 3_600_000 % 24, zeroPaddedTo: 2); write(byte: UInt8(ascii: "h"))
        }
    }
}
