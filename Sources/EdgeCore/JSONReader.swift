/// A strict JSON pull parser over a caller's buffer: `next()` yields one token at a time with its
/// byte range in the input; strings are unescaped into a caller scratch buffer and numbers
/// converted only when asked.
///
/// Guarantees:
/// - no heap allocation in `next()`, `skipValue()`, `string(_:into:)`, the number conversions
///   or `equals(_:_:)`; the reader is a small value holding only offsets and flags;
/// - accepts exactly RFC 8259 JSON text: one value, surrounded by optional whitespace. It
///   rejects trailing commas, comments, single quotes, leading zeros, `+1`, `.5`, `1.`, NaN,
///   unescaped control characters, bad escapes, unpaired surrogates, ill-formed UTF-8 and
///   nesting deeper than `maxDepth` (at most 64);
/// - every error is a `JSONError` with the byte offset, line and column of the offending byte.
///
/// The input must stay valid and unchanged while the reader and its tokens are used.
public struct JSONReader {
    /// The most nesting any reader accepts (the open containers are kept in one 64-bit word).
    public static let depthLimit = 64

    public let input: UnsafeRawBufferPointer
    /// Nesting limit of this reader (1...64).
    public let maxDepth: Int
    /// Offset of the next unread byte.
    public private(set) var offset = 0
    /// Open objects and arrays.
    public private(set) var depth = 0

    private var line = 1
    private var lineStart = 0
    private var objectBits: UInt64 = 0   // bit d-1 set: the container at depth d is an object
    private var state: State = .value

    private enum State {
        case value               // a value must come (document start, after ':')
        case firstValueOrEnd     // just after '['
        case firstKeyOrEnd       // just after '{'
        case commaOrEndOfArray
        case commaOrEndOfObject
        case end                 // the top-level value is complete
    }

    public init(_ input: UnsafeRawBufferPointer, maxDepth: Int = 64) {
        precondition(maxDepth >= 1 && maxDepth <= JSONReader.depthLimit, "JSONReader: maxDepth must be 1...64")
        self.input = input
        self.maxDepth = maxDepth
    }

    // MARK: Tokens

    /// The next token, or `.endOfDocument` once the value is complete and only whitespace
    /// remains (repeated calls keep returning it).
    public mutating func next() throws(JSONError) -> JSONToken {
        skipWhitespace()
        guard offset < input.count else {
            if state == .end { return token(.endOfDocument, offset..<offset) }
            throw error(.unexpectedEndOfInput, at: offset)
        }
        let c = input[offset]
        switch state {
        case .value:
            return try value(c)
        case .firstValueOrEnd:
            if c == UInt8(ascii: "]") { return close() }
            return try value(c)
        case .firstKeyOrEnd:
            if c == UInt8(ascii: "}") { return close() }
            return try key(c)
        case .commaOrEndOfArray:
            if c == UInt8(ascii: "]") { return close() }
            guard c == UInt8(ascii: ",") else { throw unexpected(c, .commaOrEndOfArray) }
            offset += 1
            let d = try peekAfterWhitespace()
            if d == UInt8(ascii: "]") { throw error(.trailingComma(d), at: offset) }
            return try value(d)
        case .commaOrEndOfObject:
            if c == UInt8(ascii: "}") { return close() }
            guard c == UInt8(ascii: ",") else { throw unexpected(c, .commaOrEndOfObject) }
            offset += 1
            let d = try peekAfterWhitespace()
            if d == UInt8(ascii: "}") { throw error(.trailingComma(d), at: offset) }
            return try key(d)
        case .end:
            throw unexpected(c, .endOfDocument)
        }
    }

    /// Skips the value that starts with the next token (a whole object or array included).
    /// Call it where a value is due, for example after a key the caller does not want.
    public mutating func skipValue() throws(JSONError) {
        let startDepth = depth
        var t = try next()
        if t.kind == .key { t = try next() }   // tolerate being called before the key
        guard t.kind == .beginObject || t.kind == .beginArray else { return }
        while depth > startDepth {
            _ = try next()
        }
    }

    /// Line and column of a token's first byte. Counts from the start of the token's line, so it
    /// costs O(line length): fine for errors and config files, not for every token of a long
    /// one-line document (JSONValue keeps a running count instead).
    public func location(of token: JSONToken) -> JSONLocation {
        JSONLocation(line: token.line, column: column(of: token.start, lineStart: token.lineStart))
    }

    // MARK: Strings

    /// The token's raw bytes in the input (for strings and keys: still escaped).
    public func rawBytes(of token: JSONToken) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[token.range])
    }

    /// Unescapes a string or key token into `scratch` as UTF-8 and returns the byte count.
    /// Throws `scratchTooSmall` (with the size needed) if it does not fit.
    public func string(_ token: JSONToken, into scratch: UnsafeMutableRawBufferPointer) throws(JSONError) -> Int {
        guard token.kind == .string || token.kind == .key else { throw tokenError(.wrongTokenKind, token) }
        var n = 0
        var overflow = false
        decode(token) { b in
            if n < scratch.count { scratch[n] = b } else { overflow = true }
            n += 1
        }
        if overflow { throw tokenError(.scratchTooSmall(needed: n), token) }
        return n
    }

    /// Unescaped length of a string or key token in bytes.
    public func unescapedCount(_ token: JSONToken) -> Int {
        guard token.hasEscapes else { return token.range.count }
        var n = 0
        decode(token) { _ in n += 1 }
        return n
    }

    /// True if the string or key token, unescaped, is exactly `text`. No scratch needed.
    public func equals(_ token: JSONToken, _ text: StaticString) -> Bool {
        guard token.kind == .string || token.kind == .key else { return false }
        guard text.hasPointerRepresentation else { return false }   // a single-scalar literal
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        if !token.hasEscapes {
            guard token.range.count == expected.count else { return false }
            var i = 0
            for j in token.range {
                if input[j] != expected[i] { return false }
                i += 1
            }
            return true
        }
        var i = 0
        var same = true
        decode(token) { b in
            if i >= expected.count || expected[i] != b { same = false }
            i += 1
        }
        return same && i == expected.count
    }

    /// The unescaped bytes of a validated string token, one at a time.
    private func decode(_ token: JSONToken, _ sink: (UInt8) -> Void) {
        var i = token.range.lowerBound
        let end = token.range.upperBound
        if !token.hasEscapes {
            while i < end { sink(input[i]); i += 1 }
            return
        }
        while i < end {
            let b = input[i]
            guard b == UInt8(ascii: "\\"), i + 1 < end else { sink(b); i += 1; continue }
            let e = input[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): sink(0x08)
            case UInt8(ascii: "f"): sink(0x0C)
            case UInt8(ascii: "n"): sink(0x0A)
            case UInt8(ascii: "r"): sink(0x0D)
            case UInt8(ascii: "t"): sink(0x09)
            case UInt8(ascii: "u"):
                var scalar = UInt32(hex4(at: i) ?? 0xFFFD)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF, i + 6 <= end,
                   input[i] == UInt8(ascii: "\\"), input[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(at: i + 2), low >= 0xDC00 && low <= 0xDFFF {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    i += 6
                } else if scalar >= 0xD800 && scalar <= 0xDFFF {
                    scalar = 0xFFFD   // cannot happen after validation
                }
                JSONReader.encodeUTF8(scalar, sink)
            default: sink(e)   // " \ /
            }
        }
    }

    static func encodeUTF8(_ scalar: UInt32, _ sink: (UInt8) -> Void) {
        switch scalar {
        case 0..<0x80:
            sink(UInt8(scalar))
        case 0x80..<0x800:
            sink(0xC0 | UInt8(scalar >> 6)); sink(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            sink(0xE0 | UInt8(scalar >> 12)); sink(0x80 | UInt8((scalar >> 6) & 0x3F))
            sink(0x80 | UInt8(scalar & 0x3F))
        default:
            sink(0xF0 | UInt8(scalar >> 18)); sink(0x80 | UInt8((scalar >> 12) & 0x3F))
            sink(0x80 | UInt8((scalar >> 6) & 0x3F)); sink(0x80 | UInt8(scalar & 0x3F))
        }
    }

    private func hex4(at i: Int) -> UInt16? {
        guard i + 4 <= input.count else { return nil }
        var v: UInt16 = 0
        for j in i..<(i + 4) {
            let c = input[j]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    // MARK: Numbers

    /// The number token as a signed 64-bit integer; `notAnInteger` for fractions or exponents,
    /// `numberOutOfRange` beyond Int64.
    public func int64(_ token: JSONToken) throws(JSONError) -> Int64 {
        guard token.kind == .number else { throw tokenError(.wrongTokenKind, token) }
        guard token.isInteger else { throw tokenError(.notAnInteger, token) }
        var i = token.range.lowerBound
        let negative = input[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard let magnitude = integerMagnitude(i..<token.range.upperBound) else {
            throw tokenError(.numberOutOfRange(.int64), token)
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw tokenError(.numberOutOfRange(.int64), token) }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw tokenError(.numberOutOfRange(.int64), token) }
        return Int64(magnitude)
    }

    /// The number token as an unsigned 64-bit integer (`-0` is 0; other negatives are out of range).
    public func uint64(_ token: JSONToken) throws(JSONError) -> UInt64 {
        guard token.kind == .number else { throw tokenError(.wrongTokenKind, token) }
        guard token.isInteger else { throw tokenError(.notAnInteger, token) }
        var i = token.range.lowerBound
        let negative = input[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        guard let magnitude = integerMagnitude(i..<token.range.upperBound) else {
            throw tokenError(.numberOutOfRange(.uint64), token)
        }
        if negative && magnitude != 0 { throw tokenError(.numberOutOfRange(.uint64), token) }
        return magnitude
    }

    private func integerMagnitude(_ digits: Range<Int>) -> UInt64? {
        var value: UInt64 = 0
        for j in digits {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(input[j] - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = s
        }
        return value
    }

    /// The number token as a double (precision: see `DecimalConversion`); `numberOutOfRange`
    /// if it overflows to infinity.
    public func double(_ token: JSONToken) throws(JSONError) -> Double {
        guard token.kind == .number else { throw tokenError(.wrongTokenKind, token) }
        var i = token.range.lowerBound
        let end = token.range.upperBound
        let negative = input[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var significand: UInt64 = 0
        var digitsTaken = 0
        var exponent = 0
        let zero = UInt8(ascii: "0")
        // Integer part.
        while i < end, input[i] >= zero, input[i] <= zero + 9 {
            let d = UInt64(input[i] - zero)
            if digitsTaken < 19 {
                if significand != 0 || d != 0 { significand = significand * 10 + d; if significand != 0 { digitsTaken += 1 } }
            } else {
                exponent += 1
            }
            i += 1
        }
        if i < end, input[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, input[i] >= zero, input[i] <= zero + 9 {
                let d = UInt64(input[i] - zero)
                if digitsTaken < 19 {
                    significand = significand * 10 + d
                    if significand != 0 { digitsTaken += 1 }
                    exponent -= 1
                }
                i += 1
            }
        }
        if i < end, input[i] == UInt8(ascii: "e") || input[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if input[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if input[i] == UInt8(ascii: "+") { i += 1 }
            var e = 0
            while i < end {
                if e < 100_000 { e = e * 10 + Int(input[i] - zero) }
                i += 1
            }
            exponent += expNegative ? -e : e
        }
        let value = DecimalConversion.double(significand: significand, exponent: exponent, negative: negative)
        guard value.isFinite else { throw tokenError(.numberOutOfRange(.double), token) }
        return value
    }

    // MARK: Scanning

    private mutating func value(_ c: UInt8) throws(JSONError) -> JSONToken {
        switch c {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < maxDepth else { throw error(.nestingTooDeep(limit: maxDepth), at: offset) }
            let isObject = c == UInt8(ascii: "{")
            let t = token(isObject ? .beginObject : .beginArray, offset..<(offset + 1))
            offset += 1
            depth += 1
            let bit: UInt64 = 1 << UInt64(depth - 1)
            if isObject { objectBits |= bit; state = .firstKeyOrEnd } else { objectBits &= ~bit; state = .firstValueOrEnd }
            return t
        case UInt8(ascii: "\""):
            var t = try scanString(kind: .string)
            t.kind = .string
            afterValue()
            return t
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let t = try scanNumber()
            afterValue()
            return t
        case UInt8(ascii: "t"):
            var t = try literal("true", .bool)
            t.boolValue = true
            afterValue()
            return t
        case UInt8(ascii: "f"):
            let t = try literal("false", .bool)
            afterValue()
            return t
        case UInt8(ascii: "n"):
            let t = try literal("null", .null)
            afterValue()
            return t
        default:
            throw unexpected(c, .value)
        }
    }

    private mutating func key(_ c: UInt8) throws(JSONError) -> JSONToken {
        guard c == UInt8(ascii: "\"") else { throw unexpected(c, .key) }
        let t = try scanString(kind: .key)
        let colon = try peekAfterWhitespace()
        guard colon == UInt8(ascii: ":") else { throw unexpected(colon, .colon) }
        offset += 1
        state = .value
        return t
    }

    private mutating func close() -> JSONToken {
        let isObject = objectBits & (1 << UInt64(depth - 1)) != 0
        let t = token(isObject ? .endObject : .endArray, offset..<(offset + 1))
        offset += 1
        depth -= 1
        afterValue()
        return t
    }

    private mutating func afterValue() {
        if depth == 0 {
            state = .end
        } else {
            state = objectBits & (1 << UInt64(depth - 1)) != 0 ? .commaOrEndOfObject : .commaOrEndOfArray
        }
    }

    private mutating func literal(_ word: StaticString, _ kind: JSONToken.Kind) throws(JSONError) -> JSONToken {
        let n = word.utf8CodeUnitCount
        let p = word.utf8Start
        for i in 0..<n {
            guard offset + i < input.count else { throw error(.unexpectedEndOfInput, at: input.count) }
            if input[offset + i] != p[i] { throw error(.invalidLiteral, at: offset) }
        }
        let t = token(kind, offset..<(offset + n))
        offset += n
        return t
    }

    /// Scans a string starting at the opening quote; validates escapes and UTF-8.
    private mutating func scanString(kind: JSONToken.Kind) throws(JSONError) -> JSONToken {
        let start = offset + 1
        var i = start
        var escapes = false
        let n = input.count
        while true {
            guard i < n else { throw error(.unexpectedEndOfInput, at: n) }
            let b = input[i]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") {
                escapes = true
                guard i + 1 < n else { throw error(.unexpectedEndOfInput, at: n) }
                let e = input[i + 1]
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard let unit = hex4(at: i + 2) else {
                        if i + 6 > n { throw error(.unexpectedEndOfInput, at: n) }
                        throw error(.invalidUnicodeEscape, at: i)
                    }
                    if unit >= 0xDC00 && unit <= 0xDFFF { throw error(.unpairedSurrogate, at: i) }
                    if unit >= 0xD800 && unit <= 0xDBFF {
                        guard i + 12 <= n, input[i + 6] == UInt8(ascii: "\\"), input[i + 7] == UInt8(ascii: "u"),
                              let low = hex4(at: i + 8), low >= 0xDC00 && low <= 0xDFFF else {
                            throw error(.unpairedSurrogate, at: i)
                        }
                        i += 12
                    } else {
                        i += 6
                    }
                default:
                    throw error(.invalidEscape(e), at: i)
                }
                continue
            }
            if b < 0x20 { throw error(.controlCharacterInString(b), at: i) }
            if b < 0x80 { i += 1; continue }
            i = try scanUTF8(at: i)
        }
        var t = token(kind, start..<i)
        t.hasEscapes = escapes
        offset = i + 1
        return t
    }

    /// Validates one multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF);
    /// returns the offset after it.
    private func scanUTF8(at i: Int) throws(JSONError) -> Int {
        let lead = input[i]
        let need: Int
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; highest = 0x9F
        case 0xF0: need = 3; lowest = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; highest = 0x8F
        default: throw error(.invalidUTF8(lead), at: i)
        }
        guard i + need < input.count else { throw error(.unexpectedEndOfInput, at: input.count) }
        let second = input[i + 1]
        guard second >= lowest && second <= highest else { throw error(.invalidUTF8(second), at: i + 1) }
        if need > 1 {
            for j in (i + 2)...(i + need) where input[j] & 0xC0 != 0x80 {
                throw error(.invalidUTF8(input[j]), at: j)
            }
        }
        return i + need + 1
    }

    private mutating func scanNumber() throws(JSONError) -> JSONToken {
        let start = offset
        var i = offset
        let n = input.count
        let zero = UInt8(ascii: "0")
        func isDigit(_ j: Int) -> Bool { j < n && input[j] >= zero && input[j] <= zero + 9 }
        if input[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n else { throw error(.unexpectedEndOfInput, at: n) }
        guard isDigit(i) else { throw error(.invalidNumber(.missingIntegerDigits), at: i) }
        if input[i] == zero {
            i += 1
            if isDigit(i) { throw error(.invalidNumber(.leadingZero), at: i - 1) }
        } else {
            while isDigit(i) { i += 1 }
        }
        var integer = true
        if i < n, input[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            guard isDigit(i) else {
                if i >= n { throw error(.unexpectedEndOfInput, at: n) }
                throw error(.invalidNumber(.missingFractionDigits), at: i)
            }
            while isDigit(i) { i += 1 }
        }
        if i < n, input[i] == UInt8(ascii: "e") || input[i] == UInt8(ascii: "E") {
            integer = false
            i += 1
            if i < n, input[i] == UInt8(ascii: "+") || input[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else {
                if i >= n { throw error(.unexpectedEndOfInput, at: n) }
                throw error(.invalidNumber(.missingExponentDigits), at: i)
            }
            while isDigit(i) { i += 1 }
        }
        var t = token(.number, start..<i)
        t.isInteger = integer
        offset = i
        return t
    }

    private mutating func skipWhitespace() {
        let n = input.count
        while offset < n {
            switch input[offset] {
            case 0x20, 0x09, 0x0D:
                offset += 1
            case 0x0A:
                offset += 1
                line += 1
                lineStart = offset
            default:
                return
            }
        }
    }

    private mutating func peekAfterWhitespace() throws(JSONError) -> UInt8 {
        skipWhitespace()
        guard offset < input.count else { throw error(.unexpectedEndOfInput, at: offset) }
        return input[offset]
    }

    private func token(_ kind: JSONToken.Kind, _ range: Range<Int>) -> JSONToken {
        JSONToken(kind: kind, range: range, line: line, lineStart: lineStart)
    }

    // MARK: Errors

    private func column(of position: Int, lineStart: Int) -> Int {
        var column = 1
        var i = lineStart
        let end = min(position, input.count)
        while i < end {
            if input[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return column
    }

    /// An error at an offset on the current line.
    private func error(_ reason: JSONError.Reason, at position: Int) -> JSONError {
        JSONError(reason, offset: position, line: line, column: column(of: position, lineStart: lineStart))
    }

    private func unexpected(_ c: UInt8, _ expected: JSONError.Expectation) -> JSONError {
        if c == UInt8(ascii: "/"), offset + 1 < input.count,
           input[offset + 1] == UInt8(ascii: "/") || input[offset + 1] == UInt8(ascii: "*") {
            return error(.commentNotAllowed, at: offset)
        }
        return error(.unexpectedCharacter(c, expected: expected), at: offset)
    }

    private func tokenError(_ reason: JSONError.Reason, _ token: JSONToken) -> JSONError {
        JSONError(reason, offset: token.start, line: token.line, column: column(of: token.start, lineStart: token.lineStart))
    }
}
