/// Why a packet could not be encoded: the caller's buffer is too small, or a field breaks a rule
/// of the standard (the encoder never produces a packet the decoder would refuse).
public enum MQTTEncodeError: Error, Equatable, Sendable {
    /// The output buffer has fewer bytes than the packet needs.
    case bufferTooSmall(needed: Int)
    /// A string or binary field is longer than 65535 bytes.
    case fieldTooLong
    /// The packet would exceed the 268,435,455-byte limit of the remaining length.
    case packetTooLarge
    /// A field is invalid (same kinds as the decoder reports).
    case invalid(MQTTProtocolError.Kind)

    /// One line of text for logs.
    public var description: String {
        switch self {
        case .bufferTooSmall(let needed): return "MQTT encode: buffer too small, \(needed) bytes needed"
        case .fieldTooLong: return "MQTT encode: field longer than 65535 bytes"
        case .packetTooLarge: return "MQTT encode: packet larger than the remaining-length limit"
        case .invalid(let kind): return "MQTT encode: " + kind.text
        }
    }
}
