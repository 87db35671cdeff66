/// Decodes MQTT 3.1.1 packets from caller-owned bytes with every check of the standard that a
/// receiver can make: fixed flag bits, remaining length (minimal, at most 4 bytes, within the
/// configured maximum, consistent with the fields), UTF-8 strings, topic names and filters,
/// non-zero packet ids, QoS values and return codes. Pure: no I/O, no allocation, no copies.
public enum MQTTDecoder {
    /// The framing of the packet at the start of a byte stream.
    public enum Frame: Equatable, Sendable {
        /// Not enough bytes yet to know (or to hold) the whole packet.
        case needMore
        /// A whole packet of `length` bytes is there; its body starts at `headerLength`.
        case complete(headerLength: Int, length: Int)
    }

    /// Looks at the fixed header at the start of `bytes`: type, flags, remaining length and the
    /// size limit are checked as soon as their bytes are present, so a bad packet is refused
    /// before its body arrives.
    public static func frame(_ bytes: UnsafeRawBufferPointer, maximumPacketSize: Int) throws(MQTTProtocolError) -> Frame {
        guard bytes.count > 0 else { return .needMore }
        let first = bytes[0]
        let typeNibble = first >> 4
        guard let type = MQTTPacketType(rawValue: typeNibble) else {
            throw MQTTProtocolError(.unknownPacketType, at: 0, packetType: typeNibble)
        }
        try checkFlags(type, first & 0x0F)
        switch MQTTRemainingLength.read(bytes, at: 1) {
        case .needMore:
            return .needMore
        case .malformed:
            throw MQTTProtocolError(.malformedRemainingLength, at: 1, packetType: typeNibble)
        case .complete(let value, let fieldLength):
            let headerLength = 1 + fieldLength
            if value > maximumPacketSize - headerLength {
                throw MQTTProtocolError(.packetTooLarge, at: 1, packetType: typeNibble)
            }
            let length = headerLength + value
            return bytes.count >= length ? .complete(headerLength: headerLength, length: length) : .needMore
        }
    }

    static func checkFlags(_ type: MQTTPacketType, _ flags: UInt8) throws(MQTTProtocolError) {
        if let required = type.requiredFlags {
            if flags != required { throw MQTTProtocolError(.reservedFlags, at: 0, packetType: type.rawValue) }
        } else {
            let qos = (flags >> 1) & 0x03
            if qos == 3 { throw MQTTProtocolError(.invalidQoS, at: 0, packetType: type.rawValue) }
            // DUP must be 0 for QoS 0 (MQTT-3.3.1-2).
            if qos == 0 && flags & 0x08 != 0 { throw MQTTProtocolError(.reservedFlags, at: 0, packetType: type.rawValue) }
        }
    }

    /// Decodes exactly one whole packet (fixed header included; no bytes before or after).
    public static func decode(_ bytes: UnsafeRawBufferPointer, maximumPacketSize: Int = MQTTRemainingLength.maximum + 5) throws(MQTTProtocolError) -> MQTTPacket {
        let headerLength: Int
        switch try frame(bytes, maximumPacketSize: maximumPacketSize) {
        case .needMore:
            let typeNibble = bytes.count > 0 ? bytes[0] >> 4 : 0
            throw MQTTProtocolError(.truncated, at: bytes.count, packetType: typeNibble)
        case .complete(let h, let length):
            if length != bytes.count {
                throw MQTTProtocolError(.trailingBytes, at: length, packetType: bytes[0] >> 4)
            }
            headerLength = h
        }
        let first = bytes[0]
        // frame() has checked the type.
        let type = MQTTPacketType(rawValue: first >> 4) ?? .disconnect
        var cursor = MQTTByteCursor(bytes, position: headerLength, packetType: type.rawValue)
        switch type {
        case .connect:
            return .connect(try decodeConnect(&cursor))
        case .connack:
            try expectBodyLength(cursor, 2)
            let flags = try cursor.readByte()
            if flags & 0xFE != 0 { throw cursor.error(.invalidConnackFlags, at: headerLength) }
            let codeAt = cursor.position
            guard let code = MQTTConnectReturnCode(rawValue: try cursor.readByte()) else {
                throw cursor.error(.invalidReturnCode, at: codeAt)
            }
            if code != .accepted && flags != 0 { throw cursor.error(.invalidConnackFlags, at: headerLength) }
            return .connack(MQTTConnack(sessionPresent: flags == 1, returnCode: code))
        case .publish:
            let qosRaw = (first >> 1) & 0x03
            let qos = MQTTQoS(rawValue: qosRaw) ?? .atMostOnce
            let topic = try cursor.readTopicName()
            let packetId: UInt16 = qos == .atMostOnce ? 0 : try cursor.readPacketId()
            return .publish(MQTTPublish(topic: topic, payload: cursor.rest(), qos: qos,
                                        dup: first & 0x08 != 0, retain: first & 0x01 != 0, packetId: packetId))
        case .puback, .pubrec, .pubrel, .pubcomp, .unsuback:
            try expectBodyLength(cursor, 2)
            let id = try cursor.readPacketId()
            switch type {
            case .puback: return .puback(packetId: id)
            case .pubrec: return .pubrec(packetId: id)
            case .pubrel: return .pubrel(packetId: id)
            case .pubcomp: return .pubcomp(packetId: id)
            default: return .unsuback(packetId: id)
            }
        case .subscribe:
            let id = try cursor.readPacketId()
            let entries = cursor.rest()
            if entries.isEmpty { throw cursor.error(.emptySubscriptionList, at: cursor.position) }
            while cursor.remaining > 0 {
                _ = try cursor.readTopicFilter()
                let qosAt = cursor.position
                let requested = try cursor.readByte()
                if requested > 2 { throw cursor.error(.invalidQoS, at: qosAt) }
            }
            return .subscribe(MQTTSubscribe(packetId: id, entries: entries))
        case .suback:
            let id = try cursor.readPacketId()
            let codes = cursor.rest()
            if codes.isEmpty { throw cursor.error(.emptySubscriptionList, at: cursor.position) }
            for i in 0..<codes.count {
                let c = codes[i]
                if c > 2 && c != 0x80 { throw cursor.error(.invalidReturnCode, at: cursor.position + i) }
            }
            return .suback(MQTTSuback(packetId: id, returnCodes: codes))
        case .unsubscribe:
            let id = try cursor.readPacketId()
            let entries = cursor.rest()
            if entries.isEmpty { throw cursor.error(.emptySubscriptionList, at: cursor.position) }
            while cursor.remaining > 0 { _ = try cursor.readTopicFilter() }
            return .unsubscribe(MQTTUnsubscribe(packetId: id, entries: entries))
        case .pingreq, .pingresp, .disconnect:
            try expectBodyLength(cursor, 0)
            return type == .pingreq ? .pingreq : (type == .pingresp ? .pingresp : .disconnect)
        }
    }

    static func expectBodyLength(_ cursor: MQTTByteCursor, _ length: Int) throws(MQTTProtocolError) {
        if cursor.remaining != length { throw cursor.error(.invalidRemainingLength, at: 1) }
    }

    static func decodeConnect(_ cursor: inout MQTTByteCursor) throws(MQTTProtocolError) -> MQTTConnect {
        let nameAt = cursor.position
        let name = try cursor.readBinary()
        if !(name.count == 4 && name[0] == 0x4D && name[1] == 0x51 && name[2] == 0x54 && name[3] == 0x54) {
            throw cursor.error(.invalidProtocolName, at: nameAt)
        }
        let levelAt = cursor.position
        if try cursor.readByte() != 4 { throw cursor.error(.unsupportedProtocolLevel, at: levelAt) }
        let flagsAt = cursor.position
        let flags = try cursor.readByte()
        let willFlag = flags & 0x04 != 0
        let willQoS = (flags >> 3) & 0x03
        let willRetain = flags & 0x20 != 0
        let hasPassword = flags & 0x40 != 0
        let hasUsername = flags & 0x80 != 0
        if flags & 0x01 != 0 { throw cursor.error(.reservedFlags, at: flagsAt) }
        if willQoS == 3 { throw cursor.error(.invalidQoS, at: flagsAt) }
        if !willFlag && (willQoS != 0 || willRetain) { throw cursor.error(.invalidConnectFlags, at: flagsAt) }
        if hasPassword && !hasUsername { throw cursor.error(.invalidConnectFlags, at: flagsAt) }
        let cleanSession = flags & 0x02 != 0
        let keepAlive = try cursor.readUInt16()
        let idAt = cursor.position
        let clientId = try cursor.readString()
        if clientId.isEmpty && !cleanSession { throw cursor.error(.emptyClientIdWithPersistentSession, at: idAt) }
        var will: MQTTDecodedWill? = nil
        if willFlag {
            let topic = try cursor.readTopicName()
            let message = try cursor.readBinary()
            will = MQTTDecodedWill(topic: topic, message: message, qos: MQTTQoS(rawValue: willQoS) ?? .atMostOnce, retain: willRetain)
        }
        let username: UnsafeRawBufferPointer? = hasUsername ? try cursor.readString() : nil
        let password: UnsafeRawBufferPointer? = hasPassword ? try cursor.readBinary() : nil
        try cursor.expectEnd()
        return MQTTConnect(clientId: clientId, cleanSession: cleanSession, keepAliveSeconds: keepAlive,
                           will: will, username: username, password: password)
    }
}
