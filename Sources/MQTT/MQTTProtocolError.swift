/// Malformed or forbidden MQTT input: what is wrong, in which packet type and at which byte.
/// Thrown by the decoder and the frame reader; the standard's answer to any of these is to close
/// the network connection. Never allocates when thrown.
public struct MQTTProtocolError: Error, Equatable, Sendable {
    /// What is wrong.
    public enum Kind: UInt8, Sendable {
        case unknownPacketType
        case reservedFlags
        case malformedRemainingLength
        case packetTooLarge
        case truncated
        case trailingBytes
        case invalidUTF8
        case nullCharacter
        case wildcardInTopicName
        case emptyTopic
        case invalidTopicFilter
        case zeroPacketId
        case invalidQoS
        case invalidProtocolName
        case unsupportedProtocolLevel
        case invalidConnectFlags
        case emptyClientIdWithPersistentSession
        case invalidConnackFlags
        case invalidReturnCode
        case emptySubscriptionList
        case invalidRemainingLength

        /// One line of text for logs.
        public var text: String {
            switch self {
            case .unknownPacketType: return "reserved packet type"
            case .reservedFlags: return "reserved flag bits not as the standard requires"
            case .malformedRemainingLength: return "remaining length longer than 4 bytes or not minimally encoded"
            case .packetTooLarge: return "packet larger than the configured maximum"
            case .truncated: return "field runs past the end of the packet"
            case .trailingBytes: return "bytes left over after the last field"
            case .invalidUTF8: return "string is not well-formed UTF-8"
            case .nullCharacter: return "string contains U+0000"
            case .wildcardInTopicName: return "topic name contains a wildcard (+ or #)"
            case .emptyTopic: return "topic is empty"
            case .invalidTopicFilter: return "topic filter has a misplaced wildcard"
            case .zeroPacketId: return "packet identifier is 0"
            case .invalidQoS: return "QoS is 3 or reserved QoS bits are set"
            case .invalidProtocolName: return "protocol name is not MQTT"
            case .unsupportedProtocolLevel: return "protocol level is not 4 (MQTT 3.1.1)"
            case .invalidConnectFlags: return "inconsistent CONNECT flags"
            case .emptyClientIdWithPersistentSession: return "empty client id without clean session"
            case .invalidConnackFlags: return "CONNACK flags invalid"
            case .invalidReturnCode: return "return code not defined by the standard"
            case .emptySubscriptionList: return "no topic filter in the packet"
            case .invalidRemainingLength: return "remaining length wrong for this packet type"
            }
        }
    }

    public var kind: Kind
    /// Byte offset of the offending field: from the start of the packet for the decoder, from
    /// the start of the stream for the frame reader.
    public var offset: Int
    /// The packet type nibble being decoded (0 if not yet known).
    public var packetType: UInt8

    public init(_ kind: Kind, at offset: Int, packetType: UInt8) {
        self.kind = kind
        self.offset = offset
        self.packetType = packetType
    }

    /// "MQTT PUBLISH at byte 7: topic name contains a wildcard (+ or #)".
    public var description: String {
        let name = MQTTPacketType(rawValue: packetType)?.name ?? "packet type \(packetType)"
        return "MQTT " + name + " at byte \(offset): " + kind.text
    }
}
