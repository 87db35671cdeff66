/// One decoded MQTT 3.1.1 control packet. Byte fields (topics, payloads, client id...) are
/// slices of the buffer the packet was decoded from: no copies, valid only while that buffer is
/// (for the frame reader: until its next mutating call).
public enum MQTTPacket {
    case connect(MQTTConnect)
    case connack(MQTTConnack)
    case publish(MQTTPublish)
    case puback(packetId: UInt16)
    case pubrec(packetId: UInt16)
    case pubrel(packetId: UInt16)
    case pubcomp(packetId: UInt16)
    case subscribe(MQTTSubscribe)
    case suback(MQTTSuback)
    case unsubscribe(MQTTUnsubscribe)
    case unsuback(packetId: UInt16)
    case pingreq
    case pingresp
    case disconnect

    /// The packet's type.
    public var type: MQTTPacketType {
        switch self {
        case .connect: return .connect
        case .connack: return .connack
        case .publish: return .publish
        case .puback: return .puback
        case .pubrec: return .pubrec
        case .pubrel: return .pubrel
        case .pubcomp: return .pubcomp
        case .subscribe: return .subscribe
        case .suback: return .suback
        case .unsubscribe: return .unsubscribe
        case .unsuback: return .unsuback
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        }
    }
}

/// A decoded CONNECT (fields reference the input buffer).
public struct MQTTConnect {
    public var clientId: UnsafeRawBufferPointer
    public var cleanSession: Bool
    public var keepAliveSeconds: UInt16
    public var will: MQTTDecodedWill?
    public var username: UnsafeRawBufferPointer?
    public var password: UnsafeRawBufferPointer?
}

/// The will of a decoded CONNECT.
public struct MQTTDecodedWill {
    public var topic: UnsafeRawBufferPointer
    public var message: UnsafeRawBufferPointer
    public var qos: MQTTQoS
    public var retain: Bool
}

/// A decoded CONNACK.
public struct MQTTConnack: Equatable, Sendable {
    public var sessionPresent: Bool
    public var returnCode: MQTTConnectReturnCode

    public init(sessionPresent: Bool, returnCode: MQTTConnectReturnCode) {
        self.sessionPresent = sessionPresent
        self.returnCode = returnCode
    }
}

/// The CONNACK return codes of MQTT 3.1.1.
public enum MQTTConnectReturnCode: UInt8, Sendable {
    case accepted = 0
    case unacceptableProtocolVersion = 1
    case identifierRejected = 2
    case serverUnavailable = 3
    case badUsernameOrPassword = 4
    case notAuthorized = 5

    /// The standard's meaning of the code, for logs.
    public var text: String {
        switch self {
        case .accepted: return "accepted"
        case .unacceptableProtocolVersion: return "unacceptable protocol version"
        case .identifierRejected: return "client identifier rejected"
        case .serverUnavailable: return "server unavailable"
        case .badUsernameOrPassword: return "bad user name or password"
        case .notAuthorized: return "not authorized"
        }
    }
}

/// A decoded PUBLISH (topic and payload reference the input buffer).
public struct MQTTPublish {
    public var topic: UnsafeRawBufferPointer
    public var payload: UnsafeRawBufferPointer
    public var qos: MQTTQoS
    public var dup: Bool
    public var retain: Bool
    /// 0 for QoS 0, never 0 otherwise.
    public var packetId: UInt16

    public init(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: MQTTQoS,
                dup: Bool, retain: Bool, packetId: UInt16) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.dup = dup
        self.retain = retain
        self.packetId = packetId
    }

    /// True when the topic is exactly these bytes.
    public func topicEquals<C: Collection<UInt8>>(_ other: C) -> Bool {
        topic.count == other.count && topic.elementsEqual(other)
    }
}

/// A decoded SUBSCRIBE: a packet id and a validated, non-empty list of (filter, QoS) pairs,
/// iterated in place.
public struct MQTTSubscribe: Sequence {
    public var packetId: UInt16
    /// The raw payload: repeated length-prefixed filter + requested QoS byte.
    public var entries: UnsafeRawBufferPointer

    public func makeIterator() -> Iterator { Iterator(bytes: entries, position: 0) }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var position: Int

        public mutating func next() -> (filter: UnsafeRawBufferPointer, qos: MQTTQoS)? {
            guard position + 3 <= bytes.count else { return nil }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            let start = position + 2
            guard start + length < bytes.count else { return nil }
            let filter = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            let qos = MQTTQoS(rawValue: bytes[start + length]) ?? .atMostOnce
            position = start + length + 1
            return (filter, qos)
        }
    }
}

/// A decoded SUBACK: a packet id and one return code per requested filter (0, 1, 2 = granted
/// QoS, 0x80 = failure).
public struct MQTTSuback {
    public var packetId: UInt16
    public var returnCodes: UnsafeRawBufferPointer
}

/// A decoded UNSUBSCRIBE: a packet id and a validated, non-empty list of filters.
public struct MQTTUnsubscribe: Sequence {
    public var packetId: UInt16
    /// The raw payload: repeated length-prefixed filters.
    public var entries: UnsafeRawBufferPointer

    public func makeIterator() -> Iterator { Iterator(bytes: entries, position: 0) }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var position: Int

        public mutating func next() -> UnsafeRawBufferPointer? {
            guard position + 2 <= bytes.count else { return nil }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            let start = position + 2
            guard start + length <= bytes.count else { return nil }
            position = start + length
            return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
        }
    }
}
