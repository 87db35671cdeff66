/// Appends bytes to a caller-owned buffer (topics, sign contents): never allocates, never writes
/// past the end. A write that does not fit sets `overflowed` and writes nothing more, so a chain
/// of appends is checked once at the end.
public struct EnOSByteWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    /// True once an append did not fit (the content is then incomplete).
    public private(set) var overflowed = false

    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// The bytes written, or nil if an append overflowed.
    public var bytes: UnsafeRawBufferPointer? {
        overflowed ? nil : UnsafeRawBufferPointer(rebasing: buffer[0..<count])
    }

    public mutating func append(_ byte: UInt8) {
        guard !overflowed else { return }
        guard count < buffer.count else { overflowed = true; return }
        buffer[count] = byte
        count += 1
    }

    public mutating func append(_ text: StaticString) {
        append(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func append(_ text: String) {
        guard !overflowed else { return }
        let n = text.utf8.count
        guard n <= buffer.count - count else { overflowed = true; return }
        for b in text.utf8 {
            buffer[count] = b
            count += 1
        }
    }

    public mutating func append(bytes: UnsafeRawBufferPointer) {
        guard !overflowed else { return }
        guard bytes.count <= buffer.count - count else { overflowed = true; return }
        for b in bytes {
            buffer[count] = b
            count += 1
        }
    }

    /// A signed integer in decimal.
    public mutating func appendDecimal(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude)
    }

    /// An unsigned integer in decimal.
    public mutating func appendDecimal(_ value: UInt64) {
        var digits = 1
        var v = value
        while v >= 10 { v /= 10; digits += 1 }
        guard !overflowed else { return }
        guard digits <= buffer.count - count else { overflowed = true; return }
        v = value
        var i = count + digits - 1
        while i >= count {
            buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        count += digits
    }
}
