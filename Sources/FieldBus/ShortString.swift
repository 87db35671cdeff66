/// A string of at most `capacity` bytes in fixed inline storage: string point values travel
/// through queues and samples without a heap allocation.
public struct ShortString: Equatable, Sendable {
    public static let capacity = 64
    @usableFromInline var storage: InlineArray<64, UInt8>
    public private(set) var count: Int

    /// The empty string.
    public init() {
        storage = InlineArray(repeating: 0)
        count = 0
    }

    /// The first `capacity` bytes of a string's UTF-8.
    public init(_ text: String) {
        self.init()
        for byte in text.utf8 { if !append(byte) { break } }
    }

    /// Appends a byte; false when full.
    @discardableResult
    public mutating func append(_ byte: UInt8) -> Bool {
        guard count < ShortString.capacity else { return false }
        storage[count] = byte
        count += 1
        return true
    }

    /// Byte `i` (0 ..< count).
    @inlinable public subscript(i: Int) -> UInt8 { storage[i] }

    /// Drops trailing NUL and space bytes (device strings are padded with either).
    public mutating func trimPadding() {
        while count > 0 && (storage[count - 1] == 0 || storage[count - 1] == 32) { count -= 1 }
    }

    /// The bytes as a String (allocates beyond 15 bytes; for display and the cloud encoder).
    public var string: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for i in 0..<count { bytes.append(storage[i]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func == (a: ShortString, b: ShortString) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a.storage[i] != b.storage[i] { return false }
        return true
    }
}
