import IEC104

/// A bus protocol's own figures, beside the transaction counters every protocol shares: what the
/// console's `buses` shows in the protocol's words. The connection gives them
/// (`FieldProtocol.protocolStatistics`) when the scheduler reports its statistics, and they travel
/// as `BusEvent.protocolStatistics` right after `busStatistics`: a fixed-size value, no String, no
/// allocation, no larger than `BusStatistics` (so the event queue's slots do not grow). Polled
/// protocols have none (their transactions say it all).
public enum ProtocolStatistics: Equatable, Sendable {
    case iec104(IEC104BusStatistics)
}

/// An IEC 104 bus's link figures: the link's frame counters (I frames received and sent, S frames
/// and TESTFR sent, values decoded, ASDUs rejected, unknown type identifiers, closes by the link
/// itself), the master's values for addresses no point names and values lost to a full sample
/// ring, how often the link was started (STARTDT confirmed) and lost once started, and whether it
/// is started now. Counters since the agent started.
public struct IEC104BusStatistics: Equatable, Sendable {
    public var link = LinkStatistics()
    public var unconfiguredValues: UInt64 = 0
    public var droppedValues: UInt64 = 0
    /// STARTDT confirmations: 1 for a link that never went down, one more per restart.
    public var starts: UInt64 = 0
    /// Times a started link went down (closed by the link on a timeout or protocol error, or by
    /// the socket or the outstation).
    public var losses: UInt64 = 0
    public var started = false

    public init() {}
}
