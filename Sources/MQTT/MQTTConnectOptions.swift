/// What goes into a CONNECT: client id, clean session, keepalive, optional credentials and will.
/// Built once at start-up (the strings are kept as they are and read in place when encoding).
public struct MQTTConnectOptions: Sendable {
    public var clientId: String
    /// True: the broker discards any previous session. False: it keeps subscriptions and queued
    /// QoS 1 messages while we are away (needs a non-empty client id).
    public var cleanSession: Bool
    /// Seconds; 0 turns keepalive off (not advisable: EnOS expects 60-300).
    public var keepAliveSeconds: UInt16
    public var username: String?
    public var password: [UInt8]?
    public var will: MQTTWill?

    public init(clientId: String, cleanSession: Bool = true, keepAliveSeconds: UInt16 = 60,
                username: String? = nil, password: [UInt8]? = nil, will: MQTTWill? = nil) {
        self.clientId = clientId
        self.cleanSession = cleanSession
        self.keepAliveSeconds = keepAliveSeconds
        self.username = username
        self.password = password
        self.will = will
    }
}

/// A last will: published by the broker if the connection ends without DISCONNECT.
public struct MQTTWill: Sendable {
    public var topic: String
    public var message: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool

    public init(topic: String, message: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
        self.topic = topic
        self.message = message
        self.qos = qos
        self.retain = retain
    }
}

/// One entry of a SUBSCRIBE: a topic filter and the maximum QoS wanted.
public struct MQTTSubscription: Sendable {
    public var topicFilter: String
    public var qos: MQTTQoS

    public init(_ topicFilter: String, qos: MQTTQoS = .atLeastOnce) {
        self.topicFilter = topicFilter
        self.qos = qos
    }
}
