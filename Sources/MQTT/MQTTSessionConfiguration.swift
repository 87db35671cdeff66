/// Everything an `MQTTSession` is sized and timed by, fixed at start-up.
public struct MQTTSessionConfiguration: Sendable {
    public var connect: MQTTConnectOptions
    /// Largest packet accepted or produced, fixed header included.
    public var maximumPacketSize: Int
    /// Output buffer (packets waiting for the transport to take them).
    public var outputBufferBytes: Int
    /// The store of unacknowledged QoS 1 messages.
    public var outgoingStoreBytes: Int
    public var outgoingStoreMessages: Int
    /// QoS 1 messages on the wire without PUBACK at most (the rest wait in the store, in order).
    public var inFlightWindow: Int
    /// From opening the transport to CONNACK.
    public var connectTimeoutMilliseconds: UInt64
    /// From PINGREQ to PINGRESP; past it the peer is dead.
    public var pingTimeoutMilliseconds: UInt64
    public var reconnect: MQTTReconnectPolicy
    /// True (the default): unacknowledged QoS 1 messages are resent, in order and with DUP, after
    /// a reconnect. False: they are dropped when the connection closes, for a caller that resends
    /// from its own log (the EnOS gateway, whose replies are the acknowledgement): the session's
    /// resend would otherwise arrive ahead of the caller's in-order replay, out of time order
    /// and as a duplicate.
    public var resendsAfterReconnect: Bool = true

    public init(connect: MQTTConnectOptions, maximumPacketSize: Int = 16 * 1024, outputBufferBytes: Int = 20 * 1024,
                outgoingStoreBytes: Int = 64 * 1024, outgoingStoreMessages: Int = 128, inFlightWindow: Int = 32,
                connectTimeoutMilliseconds: UInt64 = 30_000, pingTimeoutMilliseconds: UInt64 = 10_000,
                reconnect: MQTTReconnectPolicy = .enos) {
        self.connect = connect
        self.maximumPacketSize = maximumPacketSize
        self.outputBufferBytes = outputBufferBytes
        self.outgoingStoreBytes = outgoingStoreBytes
        self.outgoingStoreMessages = outgoingStoreMessages
        self.inFlightWindow = inFlightWindow
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.pingTimeoutMilliseconds = pingTimeoutMilliseconds
        self.reconnect = reconnect
    }
}
