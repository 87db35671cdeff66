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

    @inlinable public var isGood: Bool { self == .good }
}
