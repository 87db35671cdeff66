/// Reads MQTT fields from one packet's bytes, reporting any problem as an `MQTTProtocolError`
/// with the packet type and the byte offset from the start of the packet.
struct MQTTByteCursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let packetType: UInt8

    init(_ bytes: UnsafeRawBufferPointer, position: Int, packetType: UInt8) {
        self.bytes = bytes
        self.position = position
        self.packetType = packetType
    }

    var remaining: Int { bytes.count - position }

    func error(_ kind: MQTTProtocolError.Kind, at offset: Int) -> MQTTProtocolError {
        MQTTProtocolError(kind, at: offset, packetType: packetType)
    }

    mutating func readByte() throws(MQTTProtocolError) -> UInt8 {
        guard position < bytes.count else { throw error(.truncated, at: position) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16() throws(MQTTProtocolError) -> UInt16 {
        guard remaining >= 2 else { throw error(.truncated, at: position) }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    /// A packet identifier, which must not be 0.
    mutating func readPacketId() throws(MQTTProtocolError) -> UInt16 {
        let at = position
        let id = try readUInt16()
        if id == 0 { throw error(.zeroPacketId, at: at) }
        return id
    }

    mutating func readSlice(_ count: Int) throws(MQTTProtocolError) -> UnsafeRawBufferPointer {
        guard remaining >= count else { throw error(.truncated, at: position) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A length-prefixed binary field.
    mutating func readBinary() throws(MQTTProtocolError) -> UnsafeRawBufferPointer {
        let at = position
        let count = try readUInt16()
        guard remaining >= Int(count) else { throw error(.truncated, at: at) }
        return try readSlice(Int(count))
    }

    /// A length-prefixed UTF-8 string, checked.
    mutating func readString() throws(MQTTProtocolError) -> UnsafeRawBufferPointer {
        let field = try readBinary()
        if let (kind, index) = MQTTTopicValidation.checkString(field) {
            throw error(kind, at: position - field.count + index)
        }
        return field
    }

    /// A length-prefixed topic name (no wildcards, not empty).
    mutating func readTopicName() throws(MQTTProtocolError) -> UnsafeRawBufferPointer {
        let field = try readBinary()
        if let (kind, index) = MQTTTopicValidation.checkTopicName(field) {
            throw error(kind, at: position - field.count + index)
        }
        return field
    }

    /// A length-prefixed topic filter.
    mutating func readTopicFilter() throws(MQTTProtocolError) -> UnsafeRawBufferPointer {
        let field = try readBinary()
        if let (kind, index) = MQTTTopicValidation.checkTopicFilter(field) {
            throw error(kind, at: position - field.count + index)
        }
        return field
    }

    func rest() -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[position..<bytes.count])
    }

    func expectEnd() throws(MQTTProtocolError) {
        if position != bytes.count { throw error(.trailingBytes, at: position) }
    }
}
