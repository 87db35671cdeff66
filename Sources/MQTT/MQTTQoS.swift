/// MQTT quality of service: how many times a message may be delivered.
public enum MQTTQoS: UInt8, Sendable {
    /// At most once: no acknowledgement, no packet id.
    case atMostOnce = 0
    /// At least once: PUBLISH / PUBACK with a packet id.
    case atLeastOnce = 1
    /// Exactly once: PUBLISH / PUBREC / PUBREL / PUBCOMP.
    case exactlyOnce = 2
}
