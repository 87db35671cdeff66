import EdgeCore

/// One value reported by an outstation: station and object address, type, value, quality, the
/// device's time stamp (types 30-37) and the cause (spontaneous, interrogated, periodic...).
public struct DataPoint: Equatable, Sendable {
    public var commonAddress: UInt16
    public var address: UInt32
    public var type: TypeIdentification
    public var value: ElementValue
    public var quality: Quality
    public var time: CP56Time2a?
    public var causeCode: UInt8

    public var cause: Cause? { Cause(rawValue: causeCode) }

    public init(commonAddress: UInt16, address: UInt32, type: TypeIdentification, value: ElementValue, quality: Quality,
                time: CP56Time2a?, causeCode: UInt8) {
        self.commonAddress = commonAddress
        self.address = address
        self.type = type
        self.value = value
        self.quality = quality
        self.time = time
        self.causeCode = causeCode
    }
}

/// The outstation's answer to a command or request this master sent: activation or
/// deactivation confirmation (positive or negative), or activation termination.
public struct ControlResponse: Equatable, Sendable {
    public var commonAddress: UInt16
    public var address: UInt32
    public var type: TypeIdentification
    /// activationConfirmation (7), deactivationConfirmation (9), activationTermination (10), or
    /// 44-47 (unknown type, cause, common address, object address: always negative).
    public var causeCode: UInt8
    /// P/N: refused.
    public var negative: Bool
    /// The value echoed (command state, set-point), `.none` for interrogations.
    public var value: ElementValue
    /// The qualifier echoed (its bit 7 is S/E for commands: a select was confirmed).
    public var qualifier: UInt8

    public var cause: Cause? { Cause(rawValue: causeCode) }

    /// The command was refused: P/N set, or a cause of 44-47 (unknown type, cause, common
    /// address, object address), which lib60870 outstations send without P/N, and in either
    /// order with their negative activation confirmation.
    public var isRefused: Bool { negative || (44...47).contains(causeCode) }

    public init(commonAddress: UInt16, address: UInt32, type: TypeIdentification, causeCode: UInt8, negative: Bool,
                value: ElementValue, qualifier: UInt8) {
        self.commonAddress = commonAddress
        self.address = address
        self.type = type
        self.causeCode = causeCode
        self.negative = negative
        self.value = value
        self.qualifier = qualifier
    }

    /// True for an activation confirmation of a select (S/E = 1) of a command. Only the
    /// confirmation counts: lib60870 outstations echo S/E = 1 in the activation termination that
    /// follows the execute, too.
    public var isSelect: Bool {
        (type == .singleCommand || type == .doubleCommand || type == .setpointFloat)
            && causeCode == Cause.activationConfirmation.rawValue && qualifier & 0x80 != 0
    }
}

/// What the link reports while it reads input.
public enum LinkEvent: Equatable, Sendable {
    /// STARTDT con arrived: data transfer is on.
    case started
    /// STOPDT con arrived: data transfer is off.
    case stopped
    case data(DataPoint)
    case response(ControlResponse)
    /// M_EI_NA_1: the station (re)initialised; the link interrogates it again.
    case endOfInitialisation(commonAddress: UInt16)
    /// An ASDU was refused (malformed, or of a type this master does not decode) and skipped;
    /// the link stays up. Counted in the statistics; log it once.
    case rejected(IEC104Error, typeCode: UInt8)
}

/// Why the link closed itself (the driver closes the socket and reconnects).
public enum LinkCloseReason: Equatable, Sendable {
    /// T0: the TCP connection was not made in time.
    case connectTimeout
    /// T1: a sent I frame, STARTDT, STOPDT or TESTFR was not acknowledged in time.
    case acknowledgementTimeout
    /// The frame stream broke the protocol (start byte, length, sequence, acknowledgement).
    case protocolError(IEC104Error)

    public var text: String {
        switch self {
        case .connectTimeout: return "iec104: no connection within T0"
        case .acknowledgementTimeout: return "iec104: no acknowledgement within T1"
        case .protocolError(let e): return e.text
        }
    }
}

/// What the driver does next after `poll()`.
public enum LinkAction: Equatable, Sendable {
    /// Write `pendingOutput` if not empty, then wait for input or until the instant (nil: no timer).
    case wait(until: MonotonicInstant?)
    /// Close the connection for this reason, then call `connectionClosed()`.
    case close(LinkCloseReason)
}

/// Counters of one link since it was made.
public struct LinkStatistics: Equatable, Sendable {
    public var framesReceived: UInt64 = 0
    public var informationFramesReceived: UInt64 = 0
    public var informationFramesSent: UInt64 = 0
    public var supervisoryFramesSent: UInt64 = 0
    public var testFramesSent: UInt64 = 0
    /// C_CS_NA_1 sent (at start and on schedule, `LinkParameters.clockSyncPeriodMilliseconds`).
    public var clockSynchronisationsSent: UInt64 = 0
    public var pointsDecoded: UInt64 = 0
    public var asdusRejected: UInt64 = 0
    public var unknownTypes: UInt64 = 0
    public var closes: UInt64 = 0
    public init() {}
}
