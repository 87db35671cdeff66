/// How an `UpgradeJob` runs: limits from the board and the agent's configuration, fixed at
/// start. The defaults suit the qemu boards and a gateway on a slow link.
public struct UpgradeSettings: Sendable {
    /// Refuse images older than the running firmware (`-5`) unless true.
    public var allowDowngrade: Bool
    /// The largest payload the slot holds (the board's slot size); an order announcing a larger
    /// file is refused (`-3`) before anything is downloaded. nil: the device's own size, if any.
    public var maxPayloadLength: UInt64?
    /// Bytes downloaded, hashed and written per step of the poll loop (the job's only large
    /// buffer).
    public var chunkSize: Int
    /// A connection without progress for this long counts as dropped and is resumed.
    public var stallTimeoutMilliseconds: UInt64
    /// Pause before reconnecting after a drop.
    public var retryDelayMilliseconds: UInt64
    /// Drops tolerated before the download fails (`-2`).
    public var maxDrops: Int
    /// Boots the new slot gets to pass its health check.
    public var attempts: Int
    /// A progress report while downloading each time the step advances by this much.
    public var progressInterval: Int

    public init(allowDowngrade: Bool = false, maxPayloadLength: UInt64? = nil, chunkSize: Int = 16 * 1024,
                stallTimeoutMilliseconds: UInt64 = 30_000, retryDelayMilliseconds: UInt64 = 2_000, maxDrops: Int = 10,
                attempts: Int = Bootchooser.defaultAttempts, progressInterval: Int = 10) {
        self.allowDowngrade = allowDowngrade
        self.maxPayloadLength = maxPayloadLength
        self.chunkSize = max(chunkSize, 512)
        self.stallTimeoutMilliseconds = stallTimeoutMilliseconds
        self.retryDelayMilliseconds = retryDelayMilliseconds
        self.maxDrops = maxDrops
        self.attempts = attempts
        self.progressInterval = progressInterval
    }
}
