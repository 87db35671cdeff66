/// One token of a JSON text, as `JSONReader.next()` yields it: what it is and where its bytes are
/// in the reader's input. A plain value with no references into the heap; the reader turns it
/// into strings and numbers on demand (`JSONReader.string(_:into:)`, `int64(_:)`, `double(_:)`).
public struct JSONToken: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case beginObject, endObject, beginArray, endArray
        /// An object key (the `:` after it has been consumed).
        case key
        case string, number, bool, null
        /// The document is complete and only whitespace followed it.
        case endOfDocument
    }

    public var kind: Kind
    /// Where the token's bytes are in the input: for keys and strings the content between the
    /// quotes (still escaped), for numbers and literals the word, for brackets the one byte.
    public var range: Range<Int>
    /// Keys and strings: the content contains backslash escapes (unescaping is needed).
    public var hasEscapes: Bool = false
    /// Numbers: no fraction and no exponent.
    public var isInteger: Bool = false
    /// Booleans: the value.
    public var boolValue: Bool = false
    /// 1-based line of the token's first byte.
    public var line: Int
    /// Offset of the first byte of that line (for the column, computed on demand).
    public var lineStart: Int

    public init(kind: Kind, range: Range<Int>, line: Int, lineStart: Int) {
        self.kind = kind
        self.range = range
        self.line = line
        self.lineStart = lineStart
    }

    /// The offset where the token begins in the input (the opening quote for strings and keys).
    public var start: Int {
        (kind == .key || kind == .string) ? range.lowerBound - 1 : range.lowerBound
    }
}

/// A place in a JSON text: 1-based line and column (the column counts Unicode scalars).
public struct JSONLocation: Equatable, Hashable, Sendable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
