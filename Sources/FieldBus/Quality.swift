/// Whether a sample can be trusted, and if not, why: what the cloud gets as the point's quality.
public enum Quality: Equatable, Sendable {
    case good
    /// The device did not answer within the response timeout.
    case timeout
    /// The device answered with Modbus exception `code` (2: illegal address, 4: device failure…).
    case exception(UInt8)
    /// The reply's CRC did not match (RTU).
    case crcError
    /// The reply was malformed or came from the wrong unit.
    case invalidResponse
    /// The device is offline: it was not asked this cycle.
    case offline
    /// The port itself failed (errno).
    case ioError(Int32)
    /// A derived point whose formula could not give a value: `EdgeCompute.FormulaFault`'s raw
    /// value (0: an input was bad; division by zero, overflow, not a number, bit out of range).
    case formulaFault(UInt8)
    /// The device sent the value with quality flags (IEC 104: invalid 0x01, not topical 0x02,
    /// substituted 0x04, blocked 0x08, overflow 0x10, counter adjusted 0x20): the value is kept
    /// in the sample, but it is not good.
    case flagged(UInt8)

    @inlinable public var isGood: Bool { self == .good }
}
