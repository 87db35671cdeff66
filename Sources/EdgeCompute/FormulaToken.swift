import EdgeCore

/// One token of a formula, with the byte range it came from (for columns in errors).
struct FormulaToken: Equatable {
    enum Kind: Equatable {
        case number(Double)
        /// A name: a point id, `device.point`, or a function when `(` follows.
        case name
        case leftParen, rightParen, comma
        case plus, minus, star, slash, percent
        case less, lessEqual, greater, greaterEqual, equal, notEqual
        case and, or, not
        case bitAnd, bitOr, bitXor, bitNot, shiftLeft, shiftRight
        case end
    }

    var kind: Kind
    /// Byte offsets into the formula's UTF-8.
    var start: Int
    var end: Int
    var column: Int { start + 1 }
}

/// Splits formula text into tokens. Names are `[A-Za-z_][A-Za-z0-9_]*` joined by `.`
/// (`inverter1.W`); numbers are decimal (`12`, `0.5`, `.5`, `1e-3`) or hexadecimal (`0x1F`).
struct FormulaLexer {
    let text: [UInt8]
    var position = 0

    init(_ text: [UInt8]) { self.text = text }

    static func isNameStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isNamePart(_ c: UInt8) -> Bool { isNameStart(c) || isDigit(c) }

    private func peek(_ offset: Int = 0) -> UInt8 {
        position + offset < text.count ? text[position + offset] : 0
    }

    mutating func next() throws(FormulaError) -> FormulaToken {
        while position < text.count, text[position] == 0x20 || text[position] == 0x09
                || text[position] == 0x0A || text[position] == 0x0D {
            position += 1
        }
        let start = position
        guard position < text.count else { return FormulaToken(kind: .end, start: start, end: start) }
        let c = text[position]
        func single(_ k: FormulaToken.Kind, _ length: Int = 1) -> FormulaToken {
            position += length
            return FormulaToken(kind: k, start: start, end: position)
        }
        if FormulaLexer.isDigit(c) || (c == 0x2E && FormulaLexer.isDigit(peek(1))) {
            return try number()
        }
        if FormulaLexer.isNameStart(c) {
            position += 1
            while true {
                while FormulaLexer.isNamePart(peek()) { position += 1 }
                // `device.point`: a dot joins two name parts.
                if peek() == 0x2E && FormulaLexer.isNameStart(peek(1)) { position += 1; continue }
                break
            }
            return FormulaToken(kind: .name, start: start, end: position)
        }
        switch c {
        case 0x28: return single(.leftParen)
        case 0x29: return single(.rightParen)
        case 0x2C: return single(.comma)
        case 0x2B: return single(.plus)
        case 0x2D: return single(.minus)
        case 0x2A: return single(.star)
        case 0x2F: return single(.slash)
        case 0x25: return single(.percent)
        case 0x5E: return single(.bitXor)
        case 0x7E: return single(.bitNot)
        case 0x3C:
            if peek(1) == 0x3D { return single(.lessEqual, 2) }
            if peek(1) == 0x3C { return single(.shiftLeft, 2) }
            return single(.less)
        case 0x3E:
            if peek(1) == 0x3D { return single(.greaterEqual, 2) }
            if peek(1) == 0x3E { return single(.shiftRight, 2) }
            return single(.greater)
        case 0x3D:
            if peek(1) == 0x3D { return single(.equal, 2) }
            throw FormulaError(.unexpectedCharacter, column: start + 1, "\"=\" is not an operator; compare with \"==\"")
        case 0x21:
            if peek(1) == 0x3D { return single(.notEqual, 2) }
            return single(.not)
        case 0x26:
            if peek(1) == 0x26 { return single(.and, 2) }
            return single(.bitAnd)
        case 0x7C:
            if peek(1) == 0x7C { return single(.or, 2) }
            return single(.bitOr)
        default:
            throw FormulaError(.unexpectedCharacter, column: start + 1,
                               "unexpected character \"" + String(decoding: [c], as: UTF8.self) + "\"")
        }
    }

    private mutating func number() throws(FormulaError) -> FormulaToken {
        let start = position
        func malformed(_ why: String) -> FormulaError {
            FormulaError(.malformedNumber, column: start + 1, why)
        }
        if peek() == 0x30 && (peek(1) == 0x78 || peek(1) == 0x58) {
            position += 2
            var value: UInt64 = 0
            var digits = 0
            while true {
                let d = peek()
                let v: UInt64
                if FormulaLexer.isDigit(d) { v = UInt64(d - 0x30) }
                else if d >= 0x61 && d <= 0x66 { v = UInt64(d - 0x61 + 10) }
                else if d >= 0x41 && d <= 0x46 { v = UInt64(d - 0x41 + 10) }
                else { break }
                if digits == 16 { throw malformed("hexadecimal number longer than 64 bits") }
                value = value << 4 | v
                digits += 1
                position += 1
            }
            if digits == 0 { throw malformed("\"0x\" without hexadecimal digits") }
            if FormulaLexer.isNamePart(peek()) { throw malformed("letters after a hexadecimal number") }
            return FormulaToken(kind: .number(Double(value)), start: start, end: position)
        }
        var significand: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var sawPoint = false
        while true {
            let d = peek()
            if FormulaLexer.isDigit(d) {
                if significantDigits < 19 {
                    significand = significand * 10 + UInt64(d - 0x30)
                    if significand != 0 { significantDigits += 1 }
                    if sawPoint { exponent -= 1 }
                } else if !sawPoint {
                    exponent += 1  // digits beyond the 19th: dropped, magnitude kept
                }
                position += 1
            } else if d == 0x2E && !sawPoint {
                sawPoint = true
                position += 1
            } else {
                break
            }
        }
        if peek() == 0x65 || peek() == 0x45 {
            position += 1
            var negative = false
            if peek() == 0x2B || peek() == 0x2D { negative = peek() == 0x2D; position += 1 }
            guard FormulaLexer.isDigit(peek()) else { throw malformed("exponent without digits") }
            var e = 0
            while FormulaLexer.isDigit(peek()) {
                if e < 10_000 { e = e * 10 + Int(peek() - 0x30) }
                position += 1
            }
            exponent += negative ? -e : e
        }
        if FormulaLexer.isNameStart(peek()) || peek() == 0x2E { throw malformed("malformed number") }
        let value = DecimalConversion.double(significand: significand, exponent: exponent, negative: false)
        if !value.isFinite { throw malformed("number too large for a double") }
        return FormulaToken(kind: .number(value), start: start, end: position)
    }
}
