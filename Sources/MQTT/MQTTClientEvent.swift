/// What an `MQTTClient` step observed, handed to the caller's closure.
public enum MQTTClientEvent {
    /// A session event (connected, message, published, subscribed...). A `.message` references
    /// the client's receive buffer: use or copy it inside the closure.
    case session(MQTTSessionEvent)
    /// The connection ended or could not be made; the session reconnects by its policy.
    case connectionLost(MQTTClientError)
}

/// Why a connection ended: the layer that decided it and its own error.
public enum MQTTClientError: Error, Sendable {
    case transport(MQTTTransportError)
    case malformedInput(MQTTProtocolError)
    case session(MQTTSessionError)
    case closed(MQTTCloseReason)

    /// One line for logs.
    public var description: String {
        switch self {
        case .transport(let e): return "MQTT transport: " + e.description
        case .malformedInput(let e): return e.description
        case .session(let e): return e.text
        case .closed(let reason): return "MQTT closed: " + reason.text
        }
    }
}
