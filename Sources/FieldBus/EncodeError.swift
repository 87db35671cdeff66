/// Why a value cannot be written to a point: named so the cloud's reply can say it.
public enum EncodeError: Error, Equatable, Sendable {
    case notWritable
    /// A string for a number, a number for a string, etc.
    case typeMismatch
    /// The engineering value lies outside the point's allowed range.
    case outOfAllowedRange
    /// After inverse scaling the raw value does not fit the point's type.
    case outOfTypeRange
    case notANumber
    case stringTooLong
    /// A bit of a register needs the register's current value (read-modify-write).
    case readModifyWriteRequired
    case bufferTooSmall
}
