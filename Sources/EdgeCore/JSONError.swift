/// What is wrong with a JSON text and where: thrown by `JSONReader` (and the `JSONValue` tree
/// built on it) with `throws(JSONError)`. A plain value (no String payload), so throwing it never
/// allocates; `description` builds the human text only when asked.
///
/// `line` and `column` are 1-based; the column counts Unicode scalars (not bytes) from the start
/// of the line, so it matches what an editor shows for UTF-8 text without tabs.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Reason: Equatable, Sendable {
        /// The text ended inside a value or before the document was complete.
        case unexpectedEndOfInput
        /// A byte that cannot start or continue what the grammar expects here.
        case unexpectedCharacter(UInt8, expected: Expectation)
        /// `,` directly before `}` or `]` (not allowed by RFC 8259).
        case trailingComma(UInt8)
        /// `//` or `/*`: JSON has no comments.
        case commentNotAllowed
        /// A word that is not `true`, `false` or `null`.
        case invalidLiteral
        /// A number that breaks the RFC 8259 grammar.
        case invalidNumber(NumberProblem)
        /// A raw byte below 0x20 inside a string (must be escaped).
        case controlCharacterInString(UInt8)
        /// A backslash followed by something other than `"\/bfnrtu`.
        case invalidEscape(UInt8)
        /// `\u` not followed by four hex digits.
        case invalidUnicodeEscape
        /// A `\uD800`-`\uDFFF` escape without its other half.
        case unpairedSurrogate
        /// Bytes in a string that are not well-formed UTF-8.
        case invalidUTF8(UInt8)
        /// Objects and arrays nested deeper than the reader's limit.
        case nestingTooDeep(limit: Int)
        /// The number does not fit the requested type.
        case numberOutOfRange(NumberType)
        /// An integer was requested for a number with a fraction or an exponent.
        case notAnInteger
        /// A number was requested from a token that is not a number (or a string from a
        /// non-string token): a caller mistake reported as an error rather than a crash.
        case wrongTokenKind
        /// The caller's scratch buffer is too small for the unescaped string.
        case scratchTooSmall(needed: Int)
    }

    /// What the grammar wanted where an unexpected character appeared.
    public enum Expectation: Equatable, Sendable {
        case value, key, colon, commaOrEndOfObject, commaOrEndOfArray, endOfDocument
    }

    /// Why a number is malformed.
    public enum NumberProblem: Equatable, Sendable {
        case leadingZero, missingIntegerDigits, missingFractionDigits, missingExponentDigits
    }

    /// The numeric type a conversion was asked for.
    public enum NumberType: Equatable, Sendable {
        case int64, uint64, double
    }

    public var reason: Reason
    /// Byte offset into the input where the problem was found.
    public var offset: Int
    /// 1-based line.
    public var line: Int
    /// 1-based column in Unicode scalars.
    public var column: Int

    public init(_ reason: Reason, offset: Int, line: Int, column: Int) {
        self.reason = reason
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// The reason in words, without the location: "expected ',' or '}', found ']'".
    public var message: String {
        switch reason {
        case .unexpectedEndOfInput:
            return "unexpected end of input"
        case .unexpectedCharacter(let byte, let expected):
            let what: String
            switch expected {
            case .value: what = "a value"
            case .key: what = "a string key in double quotes"
            case .colon: what = "':' after the key"
            case .commaOrEndOfObject: what = "',' or '}'"
            case .commaOrEndOfArray: what = "',' or ']'"
            case .endOfDocument: what = "the end of the document"
            }
            return "expected " + what + ", found " + JSONError.describe(byte)
        case .trailingComma(let closer):
            return "trailing comma before " + JSONError.describe(closer)
        case .commentNotAllowed:
            return "comments are not allowed in JSON"
        case .invalidLiteral:
            return "invalid literal (expected true, false or null)"
        case .invalidNumber(let problem):
            switch problem {
            case .leadingZero: return "invalid number: leading zeros are not allowed"
            case .missingIntegerDigits: return "invalid number: expected a digit"
            case .missingFractionDigits: return "invalid number: expected a digit after '.'"
            case .missingExponentDigits: return "invalid number: expected a digit in the exponent"
            }
        case .controlCharacterInString(let byte):
            return "unescaped control character " + JSONError.describe(byte) + " in string"
        case .invalidEscape(let byte):
            return "invalid escape '\\" + JSONError.printable(byte) + "' in string"
        case .invalidUnicodeEscape:
            return "invalid \\u escape (expected four hex digits)"
        case .unpairedSurrogate:
            return "unpaired UTF-16 surrogate in \\u escape"
        case .invalidUTF8(let byte):
            return "invalid UTF-8 byte " + Hex.string(byte, width: 2) + " in string"
        case .nestingTooDeep(let limit):
            return "nesting deeper than \(limit) levels"
        case .numberOutOfRange(let type):
            switch type {
            case .int64: return "number out of range for a 64-bit signed integer"
            case .uint64: return "number out of range for a 64-bit unsigned integer"
            case .double: return "number out of range for a double"
            }
        case .notAnInteger:
            return "number is not an integer"
        case .wrongTokenKind:
            return "token is not of the requested kind"
        case .scratchTooSmall(let needed):
            return "string needs \(needed) bytes, more than the scratch buffer holds"
        }
    }

    /// "line 3, column 7: expected ',' or '}', found ']'".
    public var description: String {
        "line \(line), column \(column): " + message
    }

    /// A byte as text for messages: 'x' for printable ASCII, U+000A for control characters,
    /// byte 0xNN otherwise.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'" + printable(byte) + "'" }
        if byte < 0x20 || byte == 0x7F {
            var text = "U+00"
            text.unicodeScalars.append(upperHexDigit(byte >> 4))
            text.unicodeScalars.append(upperHexDigit(byte & 0xF))
            return text
        }
        return "byte " + Hex.string(byte, width: 2)
    }

    static func upperHexDigit(_ v: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "A") + v - 10)
    }

    static func printable(_ byte: UInt8) -> String {
        guard byte >= 0x20 && byte < 0x7F else { return Hex.string(byte, width: 2) }
        var s = ""
        s.unicodeScalars.append(Unicode.Scalar(byte))
        return s
    }
}
