/// Why a `JSONWriter` call refused to write. Every refused call leaves the buffer and the writer's
/// state exactly as they were, so the caller can flush and retry, or give up.
public enum JSONWriterError: Error, Equatable, Sendable {
    /// The token does not fit in the rest of the buffer.
    case bufferFull
    /// More than `JSONWriter.maxDepth` nested objects and arrays.
    case nestingTooDeep
    /// NaN or ±infinity: JSON has no such numbers, so they are refused rather than written as
    /// `null` (a measurement that silently became null would look like a missing value).
    case nonFiniteNumber
    /// A key outside an object, a value in an object without its key, a second top-level
    /// value, or an end that does not match the open container: a programming mistake, reported
    /// rather than trapped so that firmware keeps running.
    case misplaced
}

/// Writes one JSON document into a caller-owned buffer without allocating: objects, arrays,
/// keys, escaped strings, integers, booleans, null and floating-point numbers (own formatter).
/// It places commas and colons itself and checks the structure as it goes.
///
/// Guarantees:
/// - no heap allocation in any call (numbers are formatted on the stack);
/// - a call either writes its whole token or nothing: on `bufferFull` (or any other error) the
///   buffer and the state are unchanged;
/// - the output is valid RFC 8259 JSON once `isComplete` is true; strings are escaped (`"`, `\`,
///   control characters as `\n`-style or `\u00XX` escapes, and with `asciiOnly` every non-ASCII
///   character as `\uXXXX` escapes with surrogate pairs);
/// - doubles are written with the shortest digits (at most 15 significant, `DecimalConversion`)
///   that read back to the same value; NaN and infinities are refused (`nonFiniteNumber`).
///
/// String input must be UTF-8 (Swift Strings are); raw byte input is copied as it is unless
/// `asciiOnly`, where ill-formed sequences become `\ufffd`.
public struct JSONWriter {
    /// Deepest nesting of objects and arrays.
    public static let maxDepth = 64

    /// The caller's buffer; the document is `buffer[0..<count]`.
    public let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0
    /// Open objects and arrays.
    public private(set) var depth = 0
    /// Escape every non-ASCII character as `\uXXXX`.
    public let asciiOnly: Bool

    private var objectBits: UInt64 = 0     // bit d-1 set: the container at depth d is an object
    private var nonEmptyBits: UInt64 = 0   // bit d-1 set: the container at depth d has an element
    private var afterKey = false
    private var finished = false

    public init(buffer: UnsafeMutableRawBufferPointer, asciiOnly: Bool = false) {
        self.buffer = buffer
        self.asciiOnly = asciiOnly
    }

    /// Forgets everything written, to build the next document in the same buffer.
    public mutating func reset() {
        count = 0; depth = 0; objectBits = 0; nonEmptyBits = 0; afterKey = false; finished = false
    }

    /// The bytes written so far.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    /// True once a complete top-level value has been written.
    public var isComplete: Bool { finished }

    // MARK: Structure

    public mutating func beginObject() throws(JSONWriterError) { try begin(object: true) }
    public mutating func beginArray() throws(JSONWriterError) { try begin(object: false) }
    public mutating func endObject() throws(JSONWriterError) { try end(object: true) }
    public mutating func endArray() throws(JSONWriterError) { try end(object: false) }

    /// An object key (the value must follow).
    public mutating func key(_ name: StaticString) throws(JSONWriterError) {
        if name.hasPointerRepresentation {
            try key(bytes: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        } else {
            try writeKey(name.unicodeScalar.utf8)
        }
    }

    public mutating func key(_ name: String) throws(JSONWriterError) { try writeKey(name.utf8) }

    /// A key given as UTF-8 bytes.
    public mutating func key(bytes: UnsafeRawBufferPointer) throws(JSONWriterError) { try writeKey(bytes) }

    // MARK: Values

    public mutating func value(_ text: StaticString) throws(JSONWriterError) {
        if text.hasPointerRepresentation {
            try value(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        } else {
            try writeString(text.unicodeScalar.utf8)
        }
    }

    public mutating func value(_ text: String) throws(JSONWriterError) { try writeString(text.utf8) }

    /// A string given as UTF-8 bytes.
    public mutating func value(bytes: UnsafeRawBufferPointer) throws(JSONWriterError) { try writeString(bytes) }

    public mutating func value(_ flag: Bool) throws(JSONWriterError) {
        try literal(flag ? "true" : "false")
    }

    public mutating func null() throws(JSONWriterError) { try literal("null") }

    public mutating func value(_ number: Int) throws(JSONWriterError) { try value(Int64(number)) }

    public mutating func value(_ number: Int64) throws(JSONWriterError) {
        let negative = number < 0
        try writeInteger(number.magnitude, negative: negative)
    }

    public mutating func value(_ number: UInt64) throws(JSONWriterError) {
        try writeInteger(number, negative: false)
    }

    /// A double with the shortest digits (≤ `maxSignificantDigits`, at most 15) that read back
    /// to the same value. Refuses NaN and infinities.
    public mutating func value(_ number: Double, maxSignificantDigits: Int = 15) throws(JSONWriterError) {
        try writeFloatingPoint(number, maxDigits: maxSignificantDigits, asFloat: false)
    }

    /// A float32 measurement with the shortest digits (≤ 9) that read back to the same Float:
    /// 23.4 as a Float is written `23.4`, not `23.3999996185303`.
    public mutating func value(_ number: Float) throws(JSONWriterError) {
        try writeFloatingPoint(Double(number), maxDigits: 9, asFloat: true)
    }

    /// Bytes that already are one JSON value (for example a cached fragment), copied as they are.
    public mutating func rawValue(_ json: UnsafeRawBufferPointer) throws(JSONWriterError) {
        let sep = try separatorBeforeValue()
        try ensure(sep + json.count)
        if sep == 1 { put(UInt8(ascii: ",")) }
        for b in json { put(b) }
        didWriteValue()
    }

    // MARK: Internals

    private var inObject: Bool { depth > 0 && objectBits & (1 << UInt64(depth - 1)) != 0 }
    private var currentNonEmpty: Bool { depth > 0 && nonEmptyBits & (1 << UInt64(depth - 1)) != 0 }

    /// 1 if a comma goes before the next value, 0 if not; throws if no value may go here.
    private func separatorBeforeValue() throws(JSONWriterError) -> Int {
        if depth == 0 {
            if finished { throw .misplaced }
            return 0
        }
        if inObject {
            if !afterKey { throw .misplaced }
            return 0
        }
        return currentNonEmpty ? 1 : 0
    }

    private mutating func didWriteValue() {
        if depth == 0 {
            finished = true
        } else {
            afterKey = false
            nonEmptyBits |= 1 << UInt64(depth - 1)
        }
    }

    private func ensure(_ n: Int) throws(JSONWriterError) {
        if n > buffer.count - count { throw .bufferFull }
    }

    private mutating func put(_ byte: UInt8) {
        buffer[count] = byte
        count += 1
    }

    private mutating func begin(object: Bool) throws(JSONWriterError) {
        let sep = try separatorBeforeValue()
        if depth >= JSONWriter.maxDepth { throw .nestingTooDeep }
        try ensure(sep + 1)
        if sep == 1 { put(UInt8(ascii: ",")) }
        put(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        if depth > 0 {
            afterKey = false
            nonEmptyBits |= 1 << UInt64(depth - 1)
        }
        depth += 1
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if object { objectBits |= bit } else { objectBits &= ~bit }
        nonEmptyBits &= ~bit
    }

    private mutating func end(object: Bool) throws(JSONWriterError) {
        guard depth > 0, inObject == object, !afterKey else { throw .misplaced }
        try ensure(1)
        put(object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        depth -= 1
        if depth == 0 { finished = true }
    }

    private mutating func literal(_ word: StaticString) throws(JSONWriterError) {
        let sep = try separatorBeforeValue()
        let n = word.utf8CodeUnitCount
        try ensure(sep + n)
        if sep == 1 { put(UInt8(ascii: ",")) }
        let p = word.utf8Start
        for i in 0..<n { put(p[i]) }
        didWriteValue()
    }

    private mutating func writeKey<S: Collection>(_ utf8: S) throws(JSONWriterError) where S.Element == UInt8 {
        guard inObject, !afterKey else { throw .misplaced }
        let sep = currentNonEmpty ? 1 : 0
        let body = escapedLength(utf8)
        try ensure(sep + body + 3)
        if sep == 1 { put(UInt8(ascii: ",")) }
        writeEscaped(utf8)
        put(UInt8(ascii: ":"))
        nonEmptyBits |= 1 << UInt64(depth - 1)
        afterKey = true
    }

    private mutating func writeString<S: Collection>(_ utf8: S) throws(JSONWriterError) where S.Element == UInt8 {
        let sep = try separatorBeforeValue()
        let body = escapedLength(utf8)
        try ensure(sep + body + 2)
        if sep == 1 { put(UInt8(ascii: ",")) }
        writeEscaped(utf8)
        didWriteValue()
    }

    /// Length of the string's escaped body (without the quotes).
    private func escapedLength<S: Collection>(_ utf8: S) -> Int where S.Element == UInt8 {
        var n = 0
        if asciiOnly {
            var decoder = UTF8Scalars(utf8.makeIterator())
            while let scalar = decoder.next() {
                if scalar < 0x80 {
                    n += JSONWriter.escapedASCIILength(UInt8(scalar))
                } else {
                    n += scalar > 0xFFFF ? 12 : 6
                }
            }
        } else {
            for b in utf8 { n += b < 0x80 ? JSONWriter.escapedASCIILength(b) : 1 }
        }
        return n
    }

    private static func escapedASCIILength(_ b: UInt8) -> Int {
        switch b {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0C, 0x0A, 0x0D, 0x09: return 2
        case 0..<0x20: return 6
        default: return 1
        }
    }

    /// Writes `"body"`; space was checked by the caller.
    private mutating func writeEscaped<S: Collection>(_ utf8: S) where S.Element == UInt8 {
        put(UInt8(ascii: "\""))
        if asciiOnly {
            var decoder = UTF8Scalars(utf8.makeIterator())
            while let scalar = decoder.next() {
                if scalar < 0x80 {
                    putEscapedASCII(UInt8(scalar))
                } else if scalar > 0xFFFF {
                    let v = scalar - 0x10000
                    putUnicodeEscape(UInt16(0xD800 + (v >> 10)))
                    putUnicodeEscape(UInt16(0xDC00 + (v & 0x3FF)))
                } else {
                    putUnicodeEscape(UInt16(scalar))
                }
            }
        } else {
            for b in utf8 {
                if b < 0x80 { putEscapedASCII(b) } else { put(b) }
            }
        }
        put(UInt8(ascii: "\""))
    }

    private mutating func putEscapedASCII(_ b: UInt8) {
        switch b {
        case UInt8(ascii: "\""): put(UInt8(ascii: "\\")); put(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): put(UInt8(ascii: "\\")); put(UInt8(ascii: "\\"))
        case 0x08: put(UInt8(ascii: "\\")); put(UInt8(ascii: "b"))
        case 0x0C: put(UInt8(ascii: "\\")); put(UInt8(ascii: "f"))
        case 0x0A: put(UInt8(ascii: "\\")); put(UInt8(ascii: "n"))
        case 0x0D: put(UInt8(ascii: "\\")); put(UInt8(ascii: "r"))
        case 0x09: put(UInt8(ascii: "\\")); put(UInt8(ascii: "t"))
        case 0..<0x20: putUnicodeEscape(UInt16(b))
        default: put(b)
        }
    }

    private mutating func putUnicodeEscape(_ unit: UInt16) {
        put(UInt8(ascii: "\\")); put(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            let d = UInt8((unit >> UInt16(shift)) & 0xF)
            put(d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10)
        }
    }

    private mutating func writeInteger(_ magnitude: UInt64, negative: Bool) throws(JSONWriterError) {
        let sep = try separatorBeforeValue()
        let digits = JSONWriter.digitCount(magnitude)
        try ensure(sep + (negative ? 1 : 0) + digits)
        if sep == 1 { put(UInt8(ascii: ",")) }
        if negative { put(UInt8(ascii: "-")) }
        putDigits(magnitude, count: digits)
        didWriteValue()
    }

    static func digitCount(_ v: UInt64) -> Int {
        var n = 1
        var v = v
        while v >= 10 { v /= 10; n += 1 }
        return n
    }

    /// Writes exactly `count` digits of `v` (leading zeros if v is shorter).
    private mutating func putDigits(_ v: UInt64, count digits: Int) {
        var v = v
        var i = count + digits - 1
        while i >= count {
            buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        count += digits
    }

    private mutating func writeFloatingPoint(_ number: Double, maxDigits: Int, asFloat: Bool) throws(JSONWriterError) {
        guard number.isFinite else { throw .nonFiniteNumber }
        let sep = try separatorBeforeValue()
        let negative = number.sign == .minus
        if number == 0 {
            try ensure(sep + (negative ? 2 : 1))
            if sep == 1 { put(UInt8(ascii: ",")) }
            if negative { put(UInt8(ascii: "-")) }
            put(UInt8(ascii: "0"))
            didWriteValue()
            return
        }
        let d = DecimalConversion.shortestDigits(of: number.magnitude, maxDigits: maxDigits, asFloat: asFloat)
        let layout = JSONWriter.layout(d)
        try ensure(sep + (negative ? 1 : 0) + layout.length)
        if sep == 1 { put(UInt8(ascii: ",")) }
        if negative { put(UInt8(ascii: "-")) }
        let e = d.exponent
        switch layout.style {
        case .integer:
            putDigits(d.digits, count: d.count)
            for _ in 0..<(e + 1 - d.count) { put(UInt8(ascii: "0")) }
        case .fixed:
            // e >= 0 and count > e + 1: split the digits after e + 1 of them.
            let fractionDigits = d.count - (e + 1)
            let divisor = DecimalConversion.powerOfTenInteger(fractionDigits)
            putDigits(d.digits / divisor, count: e + 1)
            put(UInt8(ascii: "."))
            putDigits(d.digits % divisor, count: fractionDigits)
        case .leadingZeros:
            put(UInt8(ascii: "0")); put(UInt8(ascii: "."))
            for _ in 0..<(-e - 1) { put(UInt8(ascii: "0")) }
            putDigits(d.digits, count: d.count)
        case .scientific:
            let divisor = DecimalConversion.powerOfTenInteger(d.count - 1)
            putDigits(d.digits / divisor, count: 1)
            if d.count > 1 {
                put(UInt8(ascii: "."))
                putDigits(d.digits % divisor, count: d.count - 1)
            }
            put(UInt8(ascii: "e"))
            if e < 0 { put(UInt8(ascii: "-")) }
            putDigits(UInt64(e.magnitude), count: JSONWriter.digitCount(UInt64(e.magnitude)))
        }
        didWriteValue()
    }

    enum Style { case integer, fixed, leadingZeros, scientific }

    /// Plain notation for decimal exponents -7...20 (as JavaScript does), scientific otherwise.
    static func layout(_ d: DecimalConversion.Digits) -> (style: Style, length: Int) {
        let e = d.exponent
        if e >= 0 && e < 21 {
            if d.count <= e + 1 { return (.integer, e + 1) }
            return (.fixed, d.count + 1)
        }
        if e < 0 && e >= -7 { return (.leadingZeros, 2 + (-e - 1) + d.count) }
        let expDigits = digitCount(UInt64(e.magnitude))
        return (.scientific, 1 + (d.count > 1 ? d.count : 0) + 1 + (e < 0 ? 1 : 0) + expDigits)
    }
}

/// Decodes UTF-8 bytes into scalar values without allocating; ill-formed input yields U+FFFD.
struct UTF8Scalars<I: IteratorProtocol> where I.Element == UInt8 {
    var bytes: I
    var pending: UInt8? = nil

    init(_ bytes: I) { self.bytes = bytes }

    mutating func next() -> UInt32? {
        let lead: UInt8
        if let p = pending { lead = p; pending = nil } else {
            guard let b = bytes.next() else { return nil }
            lead = b
        }
        if lead < 0x80 { return UInt32(lead) }
        let need: Int
        var scalar: UInt32
        var minimum: UInt32
        switch lead {
        case 0xC2...0xDF: need = 1; scalar = UInt32(lead & 0x1F); minimum = 0x80
        case 0xE0...0xEF: need = 2; scalar = UInt32(lead & 0x0F); minimum = 0x800
        case 0xF0...0xF4: need = 3; scalar = UInt32(lead & 0x07); minimum = 0x10000
        default: return 0xFFFD
        }
        for _ in 0..<need {
            guard let b = bytes.next() else { return 0xFFFD }
            guard b & 0xC0 == 0x80 else { pending = b; return 0xFFFD }
            scalar = scalar << 6 | UInt32(b & 0x3F)
        }
        if scalar < minimum || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) { return 0xFFFD }
        return scalar
    }
}
