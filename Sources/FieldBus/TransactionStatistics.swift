/// Counters of one bus's or one device's transactions: outcomes, round-trip times and the time
/// the bus was busy with them. Plain integers, updated without allocation.
public struct TransactionStatistics: Equatable, Sendable {
    public var requests: UInt64 = 0
    /// Replies received (good ones and exception replies).
    public var responses: UInt64 = 0
    public var timeouts: UInt64 = 0
    public var crcErrors: UInt64 = 0
    public var exceptions: UInt64 = 0
    /// Malformed replies and port errors.
    public var otherErrors: UInt64 = 0
    public var roundTripMinimumNanoseconds: UInt64 = .max
    public var roundTripMaximumNanoseconds: UInt64 = 0
    public var roundTripTotalNanoseconds: UInt64 = 0
    /// Time spent in transactions, including timeouts: what the wire was held for.
    public var busyNanoseconds: UInt64 = 0
    /// The protocol's own cause of the latest failed read that had one (a DL/T 645 error reply,
    /// checksum…), for the console.
    public var lastFailure: FieldFailureDetail? = nil

    public init() {}

    /// Mean round trip of the replies received, 0 before the first.
    public var roundTripAverageNanoseconds: UInt64 {
        responses == 0 ? 0 : roundTripTotalNanoseconds / responses
    }

    /// Records one transaction that took `nanoseconds` and ended with `error` (nil: success).
    public mutating func record(nanoseconds: UInt64, error: ModbusError?) {
        requests &+= 1
        busyNanoseconds &+= nanoseconds
        switch error {
        case nil, .exception:
            responses &+= 1
            if case .exception = error { exceptions &+= 1 }
            roundTripTotalNanoseconds &+= nanoseconds
            roundTripMinimumNanoseconds = min(roundTripMinimumNanoseconds, nanoseconds)
            roundTripMaximumNanoseconds = max(roundTripMaximumNanoseconds, nanoseconds)
        case .timeout?: timeouts &+= 1
        case .crcError?: crcErrors &+= 1
        default: otherErrors &+= 1
        }
    }
}

/// A bus's statistics: its transactions, how late polls started against their deadlines
/// (jitter), deadlines missed outright, and utilization (busy time over elapsed time).
public struct BusStatistics: Equatable, Sendable {
    public var transactions = TransactionStatistics()
    public var polls: UInt64 = 0
    public var jitterMaximumNanoseconds: UInt64 = 0
    public var jitterTotalNanoseconds: UInt64 = 0
    /// Poll periods skipped because the bus could not keep up.
    public var missedDeadlines: UInt64 = 0
    public var writes: UInt64 = 0
    /// Writes refused because the write queue was full.
    public var writesDropped: UInt64 = 0
    /// When the scheduler started, on the monotonic clock (ns).
    public var startedAtNanoseconds: UInt64 = 0

    public init() {}

    public var jitterAverageNanoseconds: UInt64 { polls == 0 ? 0 : jitterTotalNanoseconds / polls }

    /// Busy time per million of elapsed time since start (parts per million).
    public func utilizationPPM(nowNanoseconds: UInt64) -> UInt64 {
        let elapsed = nowNanoseconds > startedAtNanoseconds ? nowNanoseconds - startedAtNanoseconds : 0
        guard elapsed > 0 else { return 0 }
        let busy = min(transactions.busyNanoseconds, elapsed)
        let product = busy.multipliedFullWidth(by: 1_000_000)
        return elapsed.dividingFullWidth((high: product.high, low: product.low)).quotient
    }
}
