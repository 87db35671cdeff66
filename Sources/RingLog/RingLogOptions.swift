/// What to do when the next sector to reuse still holds unacknowledged records.
public enum FullPolicy: Equatable, Sendable {
    /// Erase the oldest sector anyway and count the records and bytes dropped (the default: the
    /// newest data matters most).
    case dropOldest
    /// Refuse the append with `RingLogError.Kind.full` until the consumer acknowledges.
    case refuseAppends
}

/// Tuning of a `RingLog`, fixed at open: RAM use, when appends become durable on their own, and
/// how often the consumer cursor is checkpointed.
public struct RingLogOptions: Equatable, Sendable {
    /// RAM write buffer in bytes (clamped to [256, sector size]; plus one program unit on NAND).
    /// Also bounds the largest record: `maximumPayload` is the buffer (or sector) less an 80-byte
    /// sector header, the 16-byte record overhead and a per-sector reserve (32 bytes, or one
    /// program unit on NAND).
    public var writeBufferSize = 16 * 1024
    /// Sync on its own this long after the first unsynced append (0: only explicit syncs and a
    /// full buffer). Checked on `append` and `tick`.
    public var syncIntervalMilliseconds: UInt64 = 100
    /// Sync on its own once this many bytes are unsynced (0: off; a full buffer always syncs).
    public var syncBytes = 0
    /// Checkpoint the cursor once this many acknowledgements are not yet persisted…
    public var checkpointEveryAcknowledgements = 64
    /// …or once this long has passed since the last checkpoint (checked on acknowledge and tick).
    public var checkpointIntervalMilliseconds: UInt64 = 5_000
    public var whenFull = FullPolicy.dropOldest

    public init() {}
}
