/// Encodes MQTT 3.1.1 packets into caller-owned buffers. Each function returns the number of
/// bytes written and refuses (typed error, nothing allocated) anything the decoder would refuse:
/// bad UTF-8, wildcards in topic names, misplaced wildcards in filters, packet id 0 where one is
/// required, fields over 65535 bytes, a buffer too small.
public enum MQTTEncoder {
    static func check(_ problem: (MQTTProtocolError.Kind, Int)?) throws(MQTTEncodeError) {
        if let (kind, _) = problem { throw .invalid(kind) }
    }

    static func checkId(_ id: UInt16) throws(MQTTEncodeError) {
        if id == 0 { throw .invalid(.zeroPacketId) }
    }

    /// CONNECT.
    public static func connect(_ options: MQTTConnectOptions, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        try check(MQTTTopicValidation.checkString(options.clientId.utf8))
        if options.clientId.utf8.isEmpty && !options.cleanSession { throw .invalid(.emptyClientIdWithPersistentSession) }
        var flags: UInt8 = options.cleanSession ? 0x02 : 0
        var length = 10 + 2 + options.clientId.utf8.count
        if let will = options.will {
            try check(MQTTTopicValidation.checkTopicName(will.topic.utf8))
            flags |= 0x04 | will.qos.rawValue << 3 | (will.retain ? 0x20 : 0)
            length += 4 + will.topic.utf8.count + will.message.count
        }
        if let username = options.username {
            try check(MQTTTopicValidation.checkString(username.utf8))
            flags |= 0x80
            length += 2 + username.utf8.count
        }
        if let password = options.password {
            if options.username == nil { throw .invalid(.invalidConnectFlags) }
            flags |= 0x40
            length += 2 + password.count
        }
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(.connect, flags: 0, remainingLength: length)
        try w.writeLengthPrefixed("MQTT".utf8)
        try w.writeByte(4)
        try w.writeByte(flags)
        try w.writeUInt16(options.keepAliveSeconds)
        try w.writeLengthPrefixed(options.clientId.utf8)
        if let will = options.will {
            try w.writeLengthPrefixed(will.topic.utf8)
            try w.writeLengthPrefixed(will.message)
        }
        if let username = options.username { try w.writeLengthPrefixed(username.utf8) }
        if let password = options.password { try w.writeLengthPrefixed(password) }
        return w.position
    }

    /// CONNACK (a broker's answer; used by tests and simulators).
    public static func connack(_ connack: MQTTConnack, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        if connack.sessionPresent && connack.returnCode != .accepted { throw .invalid(.invalidConnackFlags) }
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(.connack, flags: 0, remainingLength: 2)
        try w.writeByte(connack.sessionPresent ? 1 : 0)
        try w.writeByte(connack.returnCode.rawValue)
        return w.position
    }

    /// Total bytes of a PUBLISH with these field sizes, or nil past the remaining-length limit.
    public static func publishLength(topicLength: Int, payloadLength: Int, qos: MQTTQoS) -> Int? {
        let remaining = 2 + topicLength + (qos == .atMostOnce ? 0 : 2) + payloadLength
        guard let field = MQTTRemainingLength.encodedLength(remaining) else { return nil }
        return 1 + field + remaining
    }

    /// PUBLISH. `packetId` is ignored (and not written) for QoS 0 and must not be 0 otherwise.
    public static func publish<Topic: Collection<UInt8>, Payload: Collection<UInt8>>(
        topic: Topic, payload: Payload, qos: MQTTQoS, packetId: UInt16 = 0,
        dup: Bool = false, retain: Bool = false, into buffer: UnsafeMutableRawBufferPointer
    ) throws(MQTTEncodeError) -> Int {
        try check(MQTTTopicValidation.checkTopicName(topic))
        if qos != .atMostOnce { try checkId(packetId) }
        if dup && qos == .atMostOnce { throw .invalid(.reservedFlags) }
        let topicLength = topic.count
        if topicLength > 0xFFFF { throw .fieldTooLong }
        let remaining = 2 + topicLength + (qos == .atMostOnce ? 0 : 2) + payload.count
        let flags = (dup ? 0x08 : 0) | qos.rawValue << 1 | (retain ? 0x01 : 0)
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(.publish, flags: flags, remainingLength: remaining)
        try w.writeLengthPrefixed(topic)
        if qos != .atMostOnce { try w.writeUInt16(packetId) }
        try w.writeBytes(payload)
        return w.position
    }

    /// PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK: the fixed header and a packet id.
    public static func acknowledgement(_ type: MQTTPacketType, packetId: UInt16, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        switch type {
        case .puback, .pubrec, .pubrel, .pubcomp, .unsuback: break
        default: throw .invalid(.unknownPacketType)
        }
        try checkId(packetId)
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(type, flags: type.requiredFlags ?? 0, remainingLength: 2)
        try w.writeUInt16(packetId)
        return w.position
    }

    /// SUBSCRIBE with one or more filters.
    public static func subscribe<S: Collection<MQTTSubscription>>(packetId: UInt16, _ subscriptions: S, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        try checkId(packetId)
        if subscriptions.isEmpty { throw .invalid(.emptySubscriptionList) }
        var remaining = 2
        for s in subscriptions {
            try check(MQTTTopicValidation.checkTopicFilter(s.topicFilter.utf8))
            remaining += 3 + s.topicFilter.utf8.count
        }
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(.subscribe, flags: 0b0010, remainingLength: remaining)
        try w.writeUInt16(packetId)
        for s in subscriptions {
            try w.writeLengthPrefixed(s.topicFilter.utf8)
            try w.writeByte(s.qos.rawValue)
        }
        return w.position
    }

    /// SUBACK (a broker's answer; used by tests and simulators).
    public static func suback<C: Collection<UInt8>>(packetId: UInt16, returnCodes: C, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        try checkId(packetId)
        if returnCodes.isEmpty { throw .invalid(.emptySubscriptionList) }
        for c in returnCodes where c > 2 && c != 0x80 { throw .invalid(.invalidReturnCode) }
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(.suback, flags: 0, remainingLength: 2 + returnCodes.count)
        try w.writeUInt16(packetId)
        try w.writeBytes(returnCodes)
        return w.position
    }

    /// UNSUBSCRIBE with one or more filters.
    public static func unsubscribe<S: Collection<String>>(packetId: UInt16, _ filters: S, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        try checkId(packetId)
        if filters.isEmpty { throw .invalid(.emptySubscriptionList) }
        var remaining = 2
        for f in filters {
            try check(MQTTTopicValidation.checkTopicFilter(f.utf8))
            remaining += 2 + f.utf8.count
        }
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(.unsubscribe, flags: 0b0010, remainingLength: remaining)
        try w.writeUInt16(packetId)
        for f in filters { try w.writeLengthPrefixed(f.utf8) }
        return w.position
    }

    /// PINGREQ, PINGRESP or DISCONNECT: a fixed header alone.
    public static func headerOnly(_ type: MQTTPacketType, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int {
        switch type {
        case .pingreq, .pingresp, .disconnect: break
        default: throw .invalid(.unknownPacketType)
        }
        var w = MQTTByteWriter(buffer)
        try w.writeFixedHeader(type, flags: 0, remainingLength: 0)
        return w.position
    }
}
