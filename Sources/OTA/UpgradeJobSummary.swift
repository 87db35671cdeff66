/// What `ota status` shows of a running upgrade (`UpgradeJob.summary`).
public struct UpgradeJobSummary: Equatable, Sendable {
    public var version: String
    public var target: BootSlotName
    public var received: UInt64
    public var total: UInt64?
    public var drops: Int

    public init(version: String, target: BootSlotName, received: UInt64, total: UInt64?, drops: Int) {
        self.version = version
        self.target = target
        self.received = received
        self.total = total
        self.drops = drops
    }
}
