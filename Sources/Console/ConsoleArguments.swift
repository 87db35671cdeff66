/// The words of one console command line (at most `ConsoleArguments.capacity`), pointing into
/// the session's line buffer: valid only during the backend call they are passed to.
///
/// `ConsoleArguments.tokenize` splits a line at spaces and tabs; a word in double quotes may hold
/// spaces (`write meter1 label "line A"`). No allocation.
public struct ConsoleArguments {
    /// Most words in a line.
    public static let capacity = 12

    /// Why a line could not be split into words.
    public enum TokenizeError: Error, Equatable, Sendable {
        case tooManyWords
        case unterminatedQuote
    }

    private let line: UnsafeRawBufferPointer
    private var starts: InlineArray<12, UInt16>
    private var lengths: InlineArray<12, UInt16>
    private var first = 0
    private var total = 0

    private init(line: UnsafeRawBufferPointer) {
        self.line = line
        starts = InlineArray(repeating: 0)
        lengths = InlineArray(repeating: 0)
    }

    /// Splits `line` (at most 65535 bytes are looked at) into words.
    public static func tokenize(_ line: UnsafeRawBufferPointer) throws(TokenizeError) -> ConsoleArguments {
        var result = ConsoleArguments(line: line)
        let n = min(line.count, Int(UInt16.max))
        var i = 0
        while i < n {
            let c = line[i]
            if c == 0x20 || c == 0x09 { i += 1; continue }
            guard result.total < capacity else { throw .tooManyWords }
            var start = i
            var end: Int
            if c == UInt8(ascii: "\"") {
                start = i + 1
                end = start
                while end < n && line[end] != UInt8(ascii: "\"") { end += 1 }
                guard end < n else { throw .unterminatedQuote }
                i = end + 1
            } else {
                end = i
                while end < n && line[end] != 0x20 && line[end] != 0x09 { end += 1 }
                i = end
            }
            result.starts[result.total] = UInt16(start)
            result.lengths[result.total] = UInt16(end - start)
            result.total += 1
        }
        return result
    }

    /// Number of words.
    public var count: Int { total - first }

    public var isEmpty: Bool { count == 0 }

    /// The word at `index` (0 ..< count); an empty token when out of range.
    public subscript(index: Int) -> ConsoleToken {
        let k = first + index
        guard index >= 0, k < total else { return ConsoleToken(bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
        let s = Int(starts[k])
        return ConsoleToken(bytes: UnsafeRawBufferPointer(rebasing: line[s..<(s + Int(lengths[k]))]))
    }

    /// These words without the first `k`.
    public func dropping(_ k: Int) -> ConsoleArguments {
        var copy = self
        copy.first = min(total, first + max(0, k))
        return copy
    }
}
