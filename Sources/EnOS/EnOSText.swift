import EdgeCore

/// A JSON string received from the cloud, referenced in place in the message buffer (valid only as
/// long as that buffer: for commands, during the event callback). Unescape it with `copy(into:)`.
public struct EnOSText {
    /// The buffer the token's range refers to.
    public let input: UnsafeRawBufferPointer
    public let token: JSONToken

    public init(input: UnsafeRawBufferPointer, token: JSONToken) {
        self.input = input
        self.token = token
    }

    /// The bytes between the quotes, still escaped (equal to the text when `!hasEscapes`).
    public var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: input[token.range]) }
    public var hasEscapes: Bool { token.hasEscapes }
    /// Length once unescaped.
    public var count: Int { JSONReader(input).unescapedCount(token) }

    /// Unescapes into `buffer`; the byte count, or nil if it does not fit.
    public func copy(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        try? JSONReader(input).string(token, into: buffer)
    }

    /// True if the unescaped text is `text`.
    public func equals(_ text: String) -> Bool {
        if !token.hasEscapes {
            var i = token.range.lowerBound
            for b in text.utf8 {
                guard i < token.range.upperBound, input[i] == b else { return false }
                i += 1
            }
            return i == token.range.upperBound
        }
        var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &scratch) { raw in
            guard let n = copy(into: raw), n == text.utf8.count else { return false }
            var i = 0
            for b in text.utf8 {
                if raw[i] != b { return false }
                i += 1
            }
            return true
        }
    }

    /// True if the unescaped text is `text`.
    public func equals(_ text: StaticString) -> Bool {
        JSONReader(input).equals(token, text)
    }

    /// For logs: the text as a String (allocates).
    public var string: String {
        let n = count
        var bytes = [UInt8](repeating: 0, count: n)
        _ = bytes.withUnsafeMutableBytes { copy(into: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A value received in a command's parameters: scalars decoded, strings in place, objects and
/// arrays as their raw JSON bytes.
public enum EnOSReceivedValue {
    case bool(Bool)
    /// A number without fraction or exponent that fits Int64.
    case integer(Int64)
    case number(Double)
    case text(EnOSText)
    case null
    /// An object or an array, as raw JSON.
    case structured(UnsafeRawBufferPointer)

    /// Numbers and booleans (1/0) as a Double; nil otherwise.
    public var numeric: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .integer(let v): return Double(v)
        case .number(let v): return v
        default: return nil
        }
    }
}
