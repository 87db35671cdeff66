import EdgeCore

/// What the session asks of the code that owns the transport, from `poll()`.
public enum MQTTSessionAction: Equatable, Sendable {
    /// Open a connection now, then call `connectionOpened()` (or `connectionClosed()` on failure).
    case openConnection
    /// Close the connection now, then call `connectionClosed()`.
    case closeConnection(MQTTCloseReason)
    /// Nothing to do before this instant (nil: nothing timed; wait for I/O or a publish).
    case wait(until: MonotonicInstant?)
}

/// Why the session asks to close the connection.
public enum MQTTCloseReason: Equatable, Sendable {
    /// The transport (TCP, TLS handshake) did not come up within the connect timeout.
    case connectTimeout
    /// No CONNACK within the connect timeout.
    case connackTimeout
    /// No PINGRESP within the ping timeout (or nothing heard for 1.5 keepalives): dead peer.
    case pingTimeout
    /// `disconnect()` was called and DISCONNECT has been handed to the transport.
    case requested

    public var text: String {
        switch self {
        case .connectTimeout: return "timed out connecting (TCP/TLS not up within the connect timeout)"
        case .connackTimeout: return "no CONNACK within the connect timeout"
        case .pingTimeout: return "keep-alive timeout: the broker stopped answering (no PINGRESP)"
        case .requested: return "disconnect requested"
        }
    }
}

/// What a received packet meant, from `receive(_:)`. References the packet's buffer.
public enum MQTTSessionEvent {
    case none
    /// CONNACK accepted; unacknowledged QoS 1 messages are being resent. Without a present
    /// session the broker has forgotten our subscriptions: subscribe again.
    case connected(sessionPresent: Bool)
    /// An application message (its PUBACK is queued already for QoS 1).
    case message(MQTTPublish)
    /// The broker acknowledged our QoS 1 message.
    case published(packetId: UInt16)
    case subscribed(packetId: UInt16, returnCodes: UnsafeRawBufferPointer)
    case unsubscribed(packetId: UInt16)
}

/// Result of `publish`: accepted one way or another, or backpressure.
public enum MQTTPublishResult: Equatable, Sendable {
    /// QoS 1: stored, sent now or as soon as the window and the connection allow, resent until
    /// acknowledged.
    case stored(packetId: UInt16)
    /// QoS 0: handed to the output buffer.
    case sent
    /// No room (store or output buffer full): try again after acknowledgements or output drain.
    case wouldBlock
    /// QoS 0 while not connected: dropped.
    case notConnected
}

/// A session-level failure: the connection should be closed (or the call was not possible).
public enum MQTTSessionError: Error, Equatable, Sendable {
    /// The broker refused the CONNECT.
    case connectionRefused(MQTTConnectReturnCode)
    /// A packet the broker must not send now (PUBLISH before CONNACK, CONNACK twice, a
    /// client-to-server packet...).
    case unexpectedPacket(MQTTPacketType)
    /// The output buffer cannot take the acknowledgement this packet needs (check `canReceive`).
    case outputFull
    case notConnected
    case wouldBlock
    case encode(MQTTEncodeError)

    public var text: String {
        switch self {
        case .connectionRefused(let code):
            return "broker refused the connection: CONNACK return code \(code.rawValue) (" + code.text + ")"
        case .unexpectedPacket(let type): return "protocol error: unexpected " + type.name + " from the broker"
        case .outputFull: return "MQTT output buffer full"
        case .notConnected: return "MQTT not connected"
        case .wouldBlock: return "MQTT output buffer full, try again"
        case .encode(let e): return e.description
        }
    }
}
