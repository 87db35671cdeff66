import EdgeCore

/// A snapshot of a ring log's state and counters, for the console, `edge-agent log info` and
/// the cloud's diagnostics. Sequence numbers are nil when there is no such record.
public struct RingLogStats: Equatable {
    public var capacityBytes = 0
    public var sectorSize = 0
    public var sectorCount = 0
    public var maximumPayload = 0
    /// Bytes written in sectors in use (headers, records, checkpoints, padding), buffered included.
    public var usedBytes = 0
    public var records: UInt64 = 0
    public var unacknowledgedRecords: UInt64 = 0
    /// Payload bytes of the unacknowledged records.
    public var unacknowledgedBytes: UInt64 = 0
    public var oldestSequence: UInt64?
    public var newestSequence: UInt64?
    public var durableSequence: UInt64?
    /// The consumer cursor (0: nothing acknowledged) and the value last written to the log.
    public var acknowledgedSequence: UInt64 = 0
    public var persistedAcknowledgement: UInt64 = 0
    public var oldestTimestamp: WallTime?
    public var newestTimestamp: WallTime?
    /// Unacknowledged records and their payload bytes erased by the drop-oldest policy (over
    /// the life of the log: carried in sector headers).
    public var droppedRecords: UInt64 = 0
    public var droppedBytes: UInt64 = 0
    /// Appends refused by the refuse-appends policy since open.
    public var refusedAppends: UInt64 = 0
    /// Sectors found corrupt at open (torn or damaged header, stale content) and skipped.
    public var corruptSectors = 0
    /// Records found torn or corrupt (at open or while reading); the rest of their sector is skipped.
    public var corruptRecords = 0
    public var checkpointsWritten: UInt64 = 0
    public var syncs: UInt64 = 0
    /// Bytes handed to the device since open (records, headers, checkpoints, padding).
    public var bytesProgrammed: UInt64 = 0
    /// Payload bytes appended since open (bytesProgrammed / this = write amplification).
    public var payloadBytesAppended: UInt64 = 0
    public var erasesSinceOpen: UInt64 = 0
    /// How long the recovery scan at open took, on the injected monotonic clock.
    public var lastRecoveryNanoseconds: UInt64 = 0
}
