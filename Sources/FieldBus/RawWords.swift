/// Up to four 16-bit words of a point as they came off the wire, in wire order (before word and
/// byte order are applied): what the console's `trace` shows before the decoded value. Inline
/// storage, so `BusEvent.traceWords` carries it through the bus queue without an allocation;
/// `count` 0 means none (a bit, a protocol without registers). A longer point (a string) keeps
/// its first four words.
public struct RawWords: Equatable, Sendable {
    public static var capacity: Int { 4 }
    public private(set) var words: (UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0)
    public private(set) var count: UInt8 = 0

    /// No words.
    public init() {}

    /// The first `min(count, capacity)` registers from `start` (fewer when `registers` ends first).
    public init(_ registers: UnsafeBufferPointer<UInt16>, at start: Int, count: Int) {
        var i = 0
        while i < count && i < Self.capacity && start >= 0 && start + i < registers.count {
            append(registers[start + i])
            i += 1
        }
    }

    /// Word `i` (`i < count`).
    public subscript(_ i: Int) -> UInt16 {
        switch i {
        case 0: return words.0
        case 1: return words.1
        case 2: return words.2
        default: return words.3
        }
    }

    mutating func append(_ word: UInt16) {
        switch count {
        case 0: words.0 = word
        case 1: words.1 = word
        case 2: words.2 = word
        case 3: words.3 = word
        default: return
        }
        count += 1
    }

    public static func == (a: RawWords, b: RawWords) -> Bool {
        guard a.count == b.count else { return false }
        var i = 0
        while i < Int(a.count) {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }
}
