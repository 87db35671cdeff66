/// Why a transaction failed in its protocol's own terms, where `ModbusError`'s classes (which
/// the scheduler counts and retries by) say less: a DL/T 645 meter's error reply with its error
/// bits, a checksum or a reply from the wrong meter, with the meter and the data identifier.
/// A connection gives it after a failed read (`FieldProtocol.failureDetail`); the scheduler keeps
/// the latest in the statistics (for the console) and reports a new cause once per planned read
/// as `BusEvent.readFailure` (for the log). A small value: carrying it allocates nothing.
public enum FieldFailureDetail: Equatable, Sendable {
    /// The DL/T 645 codec refused the exchange with meter `station` (wire byte order, as
    /// `DLT645Address.station`) for data identifier `di`.
    case dlt645(DLT645Error, station: UInt64, di: UInt32)
    /// The IEC 104 link went down during the read (refused, T0, T1, protocol error, socket).
    case iec104(IEC104LinkFailure)

    /// "meter 000000001234, DI 0x02010100: meter error reply 0x02 (no requested data)" (allocates:
    /// for logs and the console, not for the poll loop).
    public var description: String {
        switch self {
        case .dlt645(let error, let station, let di):
            return "meter " + DLT645Address(station: station).text + ", DI " + DLT645DataFormat.text(di) + ": " + error.description
        case .iec104(let failure):
            return failure.description
        }
    }

    /// True when `other` is the same cause for log purposes: the same meter and identifier and the
    /// same kind of error (an error reply with the same error byte; a checksum error whatever the
    /// sums), so a line that keeps corrupting frames is said once, not once per frame.
    public func isSameCause(as other: FieldFailureDetail) -> Bool {
        switch (self, other) {
        case (.dlt645(let a, let s1, let d1), .dlt645(let b, let s2, let d2)):
            return s1 == s2 && d1 == d2 && a.isSameKind(as: b)
        case (.iec104(let a), .iec104(let b)):
            return a.isSameCause(as: b)
        default:
            return false
        }
    }
}

extension DLT645Error {
    /// The same case, ignoring the values that vary frame by frame (sums, lengths, the wrong DI);
    /// an error reply's error byte does count.
    public func isSameKind(as other: DLT645Error) -> Bool {
        switch (self, other) {
        case (.truncated, .truncated), (.badStart, .badStart), (.badLength, .badLength), (.badChecksum, .badChecksum),
             (.badEnd, .badEnd), (.wrongAddress, .wrongAddress), (.unexpectedControl, .unexpectedControl),
             (.wrongDataIdentifier, .wrongDataIdentifier), (.badBCD, .badBCD), (.unknownDataIdentifier, .unknownDataIdentifier),
             (.bufferTooSmall, .bufferTooSmall):
            return true
        case (.errorReply(let a), .errorReply(let b)):
            return a == b
        default:
            return false
        }
    }
}
