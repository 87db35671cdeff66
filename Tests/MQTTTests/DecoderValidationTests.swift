import MQTT
import Testing

/// Every rule the decoder enforces is refused with the right kind, packet type and byte offset,
/// and the encoder refuses to produce what the decoder would refuse.
@Suite struct DecoderValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let kind: MQTTProtocolError.Kind
        let offset: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "type 0", bytes: [0x00, 0], kind: .unknownPacketType, offset: 0),
        Case(name: "type 15", bytes: [0xF0, 0], kind: .unknownPacketType, offset: 0),
        Case(name: "PUBACK flags", bytes: [0x41, 2, 0, 1], kind: .reservedFlags, offset: 0),
        Case(name: "PUBREL flags 0", bytes: [0x60, 2, 0, 1], kind: .reservedFlags, offset: 0),
        Case(name: "SUBSCRIBE flags 0", bytes: [0x80, 6, 0, 1, 0, 1, 0x61, 0], kind: .reservedFlags, offset: 0),
        Case(name: "UNSUBSCRIBE flags 0", bytes: [0xA0, 5, 0, 1, 0, 1, 0x61], kind: .reservedFlags, offset: 0),
        Case(name: "CONNECT flags", bytes: [0x12, 0], kind: .reservedFlags, offset: 0),
        Case(name: "PINGREQ flags", bytes: [0xC1, 0], kind: .reservedFlags, offset: 0),
        Case(name: "PUBLISH QoS 3", bytes: [0x36, 3, 0, 1, 0x61], kind: .invalidQoS, offset: 0),
        Case(name: "PUBLISH QoS 0 with DUP", bytes: [0x38, 3, 0, 1, 0x61], kind: .reservedFlags, offset: 0),
        Case(name: "remaining length 5 bytes", bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], kind: .malformedRemainingLength, offset: 1),
        Case(name: "remaining length not minimal", bytes: [0xD0, 0x80, 0x00], kind: .malformedRemainingLength, offset: 1),
        Case(name: "PUBLISH topic length past end", bytes: [0x30, 3, 0, 5, 0x61], kind: .truncated, offset: 2),
        Case(name: "PUBLISH QoS 1 without id", bytes: [0x32, 3, 0, 1, 0x61], kind: .truncated, offset: 5),
        Case(name: "PUBLISH packet id 0", bytes: [0x32, 5, 0, 1, 0x61, 0, 0], kind: .zeroPacketId, offset: 5),
        Case(name: "PUBLISH empty topic", bytes: [0x30, 2, 0, 0], kind: .emptyTopic, offset: 4),
        Case(name: "PUBLISH + in topic", bytes: [0x30, 5, 0, 3, 0x61, 0x2F, 0x2B], kind: .wildcardInTopicName, offset: 6),
        Case(name: "PUBLISH # in topic", bytes: [0x30, 3, 0, 1, 0x23], kind: .wildcardInTopicName, offset: 4),
        Case(name: "PUBLISH U+0000 in topic", bytes: [0x30, 4, 0, 2, 0x61, 0x00], kind: .nullCharacter, offset: 5),
        Case(name: "PUBLISH overlong UTF-8", bytes: [0x30, 4, 0, 2, 0xC0, 0x80], kind: .invalidUTF8, offset: 4),
        Case(name: "PUBLISH surrogate", bytes: [0x30, 5, 0, 3, 0xED, 0xA0, 0x80], kind: .invalidUTF8, offset: 4),
        Case(name: "PUBLISH above U+10FFFF", bytes: [0x30, 6, 0, 4, 0xF4, 0x90, 0x80, 0x80], kind: .invalidUTF8, offset: 4),
        Case(name: "PUBLISH cut UTF-8", bytes: [0x30, 4, 0, 2, 0x61, 0xE2], kind: .invalidUTF8, offset: 5),
        Case(name: "PUBACK id 0", bytes: [0x40, 2, 0, 0], kind: .zeroPacketId, offset: 2),
        Case(name: "PUBACK length 3", bytes: [0x40, 3, 0, 1, 0], kind: .invalidRemainingLength, offset: 1),
        Case(name: "PUBCOMP length 1", bytes: [0x70, 1, 0], kind: .invalidRemainingLength, offset: 1),
        Case(name: "PINGRESP with body", bytes: [0xD0, 1, 0], kind: .invalidRemainingLength, offset: 1),
        Case(name: "DISCONNECT with body", bytes: [0xE0, 1, 0], kind: .invalidRemainingLength, offset: 1),
        Case(name: "CONNACK reserved bits", bytes: [0x20, 2, 2, 0], kind: .invalidConnackFlags, offset: 2),
        Case(name: "CONNACK session present on refusal", bytes: [0x20, 2, 1, 5], kind: .invalidConnackFlags, offset: 2),
        Case(name: "CONNACK code 6", bytes: [0x20, 2, 0, 6], kind: .invalidReturnCode, offset: 3),
        Case(name: "CONNACK length 3", bytes: [0x20, 3, 0, 0, 0], kind: .invalidRemainingLength, offset: 1),
        Case(name: "SUBSCRIBE no filters", bytes: [0x82, 2, 0, 1], kind: .emptySubscriptionList, offset: 4),
        Case(name: "SUBSCRIBE id 0", bytes: [0x82, 6, 0, 0, 0, 1, 0x61, 0], kind: .zeroPacketId, offset: 2),
        Case(name: "SUBSCRIBE QoS 3", bytes: [0x82, 6, 0, 1, 0, 1, 0x61, 3], kind: .invalidQoS, offset: 7),
        Case(name: "SUBSCRIBE reserved QoS bits", bytes: [0x82, 6, 0, 1, 0, 1, 0x61, 0x41], kind: .invalidQoS, offset: 7),
        Case(name: "SUBSCRIBE missing QoS", bytes: [0x82, 5, 0, 1, 0, 1, 0x61], kind: .truncated, offset: 7),
        Case(name: "SUBSCRIBE # not last", bytes: [0x82, 8, 0, 1, 0, 3, 0x23, 0x2F, 0x61, 0], kind: .invalidTopicFilter, offset: 6),
        Case(name: "SUBSCRIBE a+ filter", bytes: [0x82, 7, 0, 1, 0, 2, 0x61, 0x2B, 0], kind: .invalidTopicFilter, offset: 7),
        Case(name: "SUBSCRIBE +a filter", bytes: [0x82, 7, 0, 1, 0, 2, 0x2B, 0x61, 0], kind: .invalidTopicFilter, offset: 6),
        Case(name: "SUBACK code 3", bytes: [0x90, 3, 0, 1, 3], kind: .invalidReturnCode, offset: 4),
        Case(name: "SUBACK no codes", bytes: [0x90, 2, 0, 1], kind: .emptySubscriptionList, offset: 4),
        Case(name: "UNSUBSCRIBE no filters", bytes: [0xA2, 2, 0, 1], kind: .emptySubscriptionList, offset: 4),
        Case(name: "UNSUBSCRIBE empty filter", bytes: [0xA2, 4, 0, 1, 0, 0], kind: .emptyTopic, offset: 6),
        Case(name: "CONNECT protocol name", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x58, 4, 2, 0, 0, 0, 0], kind: .invalidProtocolName, offset: 2),
        Case(name: "CONNECT level 3", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 3, 2, 0, 0, 0, 0], kind: .unsupportedProtocolLevel, offset: 8),
        Case(name: "CONNECT reserved flag", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 3, 0, 0, 0, 0], kind: .reservedFlags, offset: 9),
        Case(name: "CONNECT will QoS without will", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x0A, 0, 0, 0, 0], kind: .invalidConnectFlags, offset: 9),
        Case(name: "CONNECT will QoS 3", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x1E, 0, 0, 0, 0], kind: .invalidQoS, offset: 9),
        Case(name: "CONNECT password without username", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x42, 0, 0, 0, 0], kind: .invalidConnectFlags, offset: 9),
        Case(name: "CONNECT empty id, persistent", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0, 0, 0, 0, 0], kind: .emptyClientIdWithPersistentSession, offset: 12),
        Case(name: "CONNECT trailing bytes", bytes: [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, 0, 9], kind: .trailingBytes, offset: 14),
        Case(name: "CONNECT username missing", bytes: [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x82, 0, 0, 0, 0], kind: .truncated, offset: 14),
    ]

    @Test(arguments: cases)
    func malformedPacketIsRefusedWithKindAndOffset(_ c: Case) {
        let error = PacketBytes.decodeError(c.bytes)
        #expect(error?.kind == c.kind, "\(error?.description ?? "decoded")")
        #expect(error?.offset == c.offset, "\(error?.description ?? "decoded")")
        #expect(error?.packetType == c.bytes[0] >> 4)
    }

    @Test func packetAboveMaximumSizeIsRefusedFromItsHeader() {
        // Header alone announces 2,000,000 bytes: refused before any body byte.
        let error = PacketBytes.decodeError([0x30, 0x80, 0x89, 0x7A], maximumPacketSize: 1024)
        #expect(error?.kind == .packetTooLarge)
        #expect(error?.description == "MQTT PUBLISH at byte 1: packet larger than the configured maximum")
    }

    @Test func incompleteAndOverlongInputAreRefused() {
        #expect(PacketBytes.decodeError([0x30, 5, 0, 1])?.kind == .truncated)
        #expect(PacketBytes.decodeError([0xC0, 0, 0])?.kind == .trailingBytes)
        #expect(PacketBytes.decodeError([])?.kind == .truncated)
    }

    @Test func validFiltersAreAccepted() {
        for filter in ["#", "+", "a/#", "+/+", "a/+/b", "/", "//", "a//#", "+/#", "ü/€"] {
            #expect(MQTTTopicValidation.checkTopicFilter(filter.utf8) == nil, "\(filter)")
        }
        for filter in ["a#", "#/", "a/#/b", "a+", "+a", "a/b+", ""] {
            #expect(MQTTTopicValidation.checkTopicFilter(filter.utf8) != nil, "\(filter)")
        }
    }

    @Test func encoderRefusesWhatTheDecoderWouldRefuse() {
        func encodeError(_ body: (UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int) -> MQTTEncodeError? {
            do { _ = try PacketBytes.encode(body); return nil } catch { return error as? MQTTEncodeError }
        }
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: "a/+".utf8, payload: [UInt8](), qos: .atMostOnce, into: b) } == .invalid(.wildcardInTopicName))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: "".utf8, payload: [UInt8](), qos: .atMostOnce, into: b) } == .invalid(.emptyTopic))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: [0x61, 0], payload: [UInt8](), qos: .atMostOnce, into: b) } == .invalid(.nullCharacter))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: "a".utf8, payload: [UInt8](), qos: .atLeastOnce, packetId: 0, into: b) } == .invalid(.zeroPacketId))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: "a".utf8, payload: [UInt8](), qos: .atMostOnce, dup: true, into: b) } == .invalid(.reservedFlags))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.subscribe(packetId: 1, [MQTTSubscription("a#")], into: b) } == .invalid(.invalidTopicFilter))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.subscribe(packetId: 1, [MQTTSubscription](), into: b) } == .invalid(.emptySubscriptionList))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.connect(MQTTConnectOptions(clientId: "", cleanSession: false), into: b) } == .invalid(.emptyClientIdWithPersistentSession))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: "a".utf8, payload: [UInt8](repeating: 0, count: 80_000), qos: .atMostOnce, into: b) } == .bufferTooSmall(needed: 80_007))
        #expect(encodeError { b throws(MQTTEncodeError) in try MQTTEncoder.publish(topic: [UInt8](repeating: 0x61, count: 65_536), payload: [UInt8](), qos: .atMostOnce, into: b) } == .fieldTooLong)
    }
}
