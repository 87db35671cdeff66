import EdgeCore

/// What an `MQTTClient` step observed, handed to the caller's closure.
public enum MQTTClientEvent {
    /// A session event (connected, message, published, subscribed...). A `.message` references
    /// the client's receive buffer: use or copy it inside the closure.
    case session(MQTTSessionEvent)
    /// The connection ended or could not be made; the session reconnects by its policy.
    case connectionLost(MQTTClientError)
}

/// Why a connection ended: the layer that decided it and its own error.
public enum MQTTClientError: Error, Equatable, Sendable {
    case transport(ByteStreamError)
    case malformedInput(MQTTProtocolError)
    case session(MQTTSessionError)
    case closed(MQTTCloseReason)

    /// One line for logs.
    public var description: String {
        switch self {
        case .transport(let e): return e.description
        case .malformedInput(let e): return "protocol error: " + e.description
        case .session(let e): return e.text
        case .closed(let reason): return reason.text
        }
    }

    /// Why a connection ended or could not be made, in words, with TLS failures in the TLS
    /// library's words (which the stream put into its error): the line the agent logs.
    public var causeDescription: String {
        if case .transport(let e) = self { return e.tlsDescription }
        return description
    }

    /// True when `other` is the same cause: equal, except that a protocol error's byte offset
    /// (which differs on every connection) is not compared. A reconnect loop failing for the
    /// same cause is reported once, not once per attempt.
    public func isSameCause(as other: MQTTClientError) -> Bool {
        switch (self, other) {
        case (.malformedInput(let a), .malformedInput(let b)): return a.kind == b.kind && a.packetType == b.packetType
        default: return self == other
        }
    }
}
