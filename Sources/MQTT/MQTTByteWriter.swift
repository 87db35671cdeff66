/// Appends MQTT fields to a caller-owned buffer, checking room before every write. Never
/// allocates; a failed write leaves the buffer's contents unspecified past `position`.
public struct MQTTByteWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var position: Int

    public init(_ buffer: UnsafeMutableRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    func ensure(_ count: Int) throws(MQTTEncodeError) {
        if buffer.count - position < count { throw .bufferTooSmall(needed: position + count) }
    }

    public mutating func writeByte(_ value: UInt8) throws(MQTTEncodeError) {
        try ensure(1)
        buffer[position] = value
        position += 1
    }

    public mutating func writeUInt16(_ value: UInt16) throws(MQTTEncodeError) {
        try ensure(2)
        buffer[position] = UInt8(value >> 8)
        buffer[position + 1] = UInt8(value & 0xFF)
        position += 2
    }

    /// Writes the fixed header: type and flags, then the remaining length.
    public mutating func writeFixedHeader(_ type: MQTTPacketType, flags: UInt8, remainingLength: Int) throws(MQTTEncodeError) {
        guard let fieldLength = MQTTRemainingLength.encodedLength(remainingLength) else { throw .packetTooLarge }
        try ensure(1 + fieldLength + remainingLength)
        buffer[position] = type.rawValue << 4 | flags
        position += 1
        position += MQTTRemainingLength.write(remainingLength, into: buffer, at: position)
    }

    /// Raw bytes, no length prefix.
    public mutating func writeBytes<C: Collection<UInt8>>(_ bytes: C) throws(MQTTEncodeError) {
        let count = bytes.count
        try ensure(count)
        guard count > 0 else { return }
        let base = buffer.baseAddress! + position
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { source in
            if let s = source.baseAddress { base.copyMemory(from: s, byteCount: source.count) }
            return true
        }
        if copied == nil {
            var i = position
            for b in bytes { buffer[i] = b; i += 1 }
        }
        position += count
    }

    /// A two-byte length, then the bytes (string or binary field).
    public mutating func writeLengthPrefixed<C: Collection<UInt8>>(_ bytes: C) throws(MQTTEncodeError) {
        let count = bytes.count
        if count > 0xFFFF { throw .fieldTooLong }
        try writeUInt16(UInt16(count))
        try writeBytes(bytes)
    }
}
