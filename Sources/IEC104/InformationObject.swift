/// The state of a double point (DPI): two bits, 0 and 3 meaning the switch is between positions
/// or its position is not known.
public enum DoublePointState: UInt8, Equatable, Sendable {
    case intermediate = 0, off = 1, on = 2, indeterminate = 3
}

/// The value of one information element, in the form its type carries.
public enum ElementValue: Equatable, Sendable {
    /// SPI, or SCS of a single command.
    case single(Bool)
    /// DPI, or DCS of a double command.
    case double(DoublePointState)
    /// NVA: a normalised value, -1 ... 1 - 2^-15.
    case normalized(Float)
    /// SVA: a scaled value.
    case scaled(Int16)
    /// IEEE 754 short floating point (measured value or set-point).
    case float(Float)
    /// BCR: a binary counter reading with its sequence number (0-31).
    case counter(Int32, sequence: UInt8)
    /// No value: interrogation, counter interrogation and clock synchronisation carry a qualifier
    /// or a time only.
    case none
}

/// One information object: its 3-byte address, value, quality, the outstation's time stamp when
/// the type carries one, and the qualifier octet of control types (SCO, DCO, QOS, QOI, QCC).
public struct InformationObject: Equatable, Sendable {
    public var address: UInt32
    public var value: ElementValue
    public var quality: Quality
    public var time: CP56Time2a?
    public var qualifier: UInt8

    public init(address: UInt32, value: ElementValue, quality: Quality = .good, time: CP56Time2a? = nil, qualifier: UInt8 = 0) {
        self.address = address
        self.value = value
        self.quality = quality
        self.time = time
        self.qualifier = qualifier
    }
}
