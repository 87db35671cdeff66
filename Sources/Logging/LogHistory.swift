/// The last lines logged, kept in a fixed ring for the console's `log` command.
///
/// Guarantees: storage is allocated once at creation (`lineCapacity` lines of at most
/// `lineLength` bytes each); `append` never allocates, overwrites the oldest line when full and
/// cuts longer lines at `lineLength` bytes; a class so that the logger and the console share it.
public final class LogHistory {
    /// Bytes kept of each line.
    public let lineLength: Int
    /// Lines kept.
    public let lineCapacity: Int
    private let storage: UnsafeMutableRawBufferPointer
    private var lengths: [Int]
    private var next = 0
    /// Lines held now (≤ `lineCapacity`).
    public private(set) var count = 0
    /// Lines appended since creation (including those overwritten).
    public private(set) var totalAppended: UInt64 = 0

    public init(lineCapacity: Int = 64, lineLength: Int = 160) {
        self.lineCapacity = max(1, lineCapacity)
        self.lineLength = max(1, lineLength)
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: self.lineCapacity * self.lineLength, alignment: 1)
        lengths = [Int](repeating: 0, count: self.lineCapacity)
    }

    deinit { storage.deallocate() }

    /// Keeps one line (without its newline; a trailing `\n` is dropped).
    public func append(_ line: UnsafeRawBufferPointer) {
        var n = line.count
        if n > 0 && line[n - 1] == 0x0A { n -= 1 }
        n = min(n, lineLength)
        if n > 0, let base = line.baseAddress, let dest = storage.baseAddress {
            (dest + next * lineLength).copyMemory(from: base, byteCount: n)
        }
        lengths[next] = n
        next = (next + 1) % lineCapacity
        if count < lineCapacity { count += 1 }
        totalAppended &+= 1
    }

    /// Calls `body` with each of the last `limit` lines (all when nil), oldest first. The bytes
    /// are valid only during the call.
    public func forEachLine(last limit: Int? = nil, _ body: (UnsafeRawBufferPointer) -> Void) {
        let n = min(count, max(0, limit ?? count))
        var index = (next - n + lineCapacity) % lineCapacity
        for _ in 0..<n {
            body(UnsafeRawBufferPointer(rebasing: storage[(index * lineLength)..<(index * lineLength + lengths[index])]))
            index = (index + 1) % lineCapacity
        }
    }

    /// Forgets every line.
    public func removeAll() {
        count = 0
        next = 0
    }
}
