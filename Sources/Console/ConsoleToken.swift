import EdgeCore

/// One word of a console command line, as bytes inside the session's line buffer: valid only
/// during the backend call it is passed to (copy it with `string` to keep it).
public struct ConsoleToken {
    /// The word's bytes (quotes removed).
    public let bytes: UnsafeRawBufferPointer

    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// True if the word is exactly `text` (no allocation).
    public func equals(_ text: StaticString) -> Bool {
        guard text.hasPointerRepresentation else { return false }
        return equals(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// True if the word is exactly `text` (no allocation for native strings).
    public func equals(_ text: String) -> Bool {
        if let result = text.utf8.withContiguousStorageIfAvailable({ equals(bytes: UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var i = 0
        for b in text.utf8 {
            if i >= bytes.count || bytes[i] != b { return false }
            i += 1
        }
        return i == bytes.count
    }

    /// True if the word is exactly these bytes.
    public func equals(bytes other: UnsafeRawBufferPointer) -> Bool {
        guard other.count == bytes.count else { return false }
        var i = 0
        while i < bytes.count {
            if bytes[i] != other[i] { return false }
            i += 1
        }
        return true
    }

    /// The word as a decimal integer (optional sign) or `0x` hexadecimal; nil if it is not one
    /// or does not fit.
    public var integer: Int64? {
        var i = 0
        var negative = false
        if i < bytes.count && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var radix: UInt64 = 10
        if bytes.count - i > 2 && bytes[i] == UInt8(ascii: "0") && (bytes[i + 1] | 0x20) == UInt8(ascii: "x") {
            radix = 16
            i += 2
        }
        guard i < bytes.count else { return nil }
        var value: UInt64 = 0
        while i < bytes.count {
            let c = bytes[i]
            let d: UInt64
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: d = UInt64(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: d = UInt64(c - UInt8(ascii: "A") + 10)
            default: return nil
            }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        if negative {
            guard value <= UInt64(Int64.max) + 1 else { return nil }
            return value == UInt64(Int64.max) + 1 ? Int64.min : -Int64(value)
        }
        guard value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// The word as a decimal number (`230.5`, `-1e3`, integers, `true`/`false` as 1/0); nil if it
    /// is not one.
    public var number: Double? {
        if equals("true") { return 1 }
        if equals("false") { return 0 }
        var i = 0
        var negative = false
        if i < bytes.count && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var significand: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawPoint = false
        var sawDigit = false
        while i < bytes.count {
            let c = bytes[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                sawDigit = true
                if digits < 19 {
                    if significand != 0 || c != UInt8(ascii: "0") { digits += 1 }
                    significand = significand * 10 + UInt64(c - UInt8(ascii: "0"))
                    if sawPoint { exponent -= 1 }
                } else if !sawPoint {
                    exponent += 1
                }
            } else if c == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            i += 1
        }
        guard sawDigit else { return nil }
        if i < bytes.count && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            let rest = ConsoleToken(bytes: UnsafeRawBufferPointer(rebasing: bytes[(i + 1)...]))
            let plain = rest.bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }
            guard plain, let e = rest.integer, e > -400, e < 400 else { return nil }
            exponent += Int(e)
            i = bytes.count
        }
        guard i == bytes.count else { return nil }
        return DecimalConversion.double(significand: significand, exponent: exponent, negative: negative)
    }

    /// A copy of the word as a String (allocates: for rare commands only).
    public var string: String {
        String(decoding: bytes, as: UTF8.self)
    }
}
