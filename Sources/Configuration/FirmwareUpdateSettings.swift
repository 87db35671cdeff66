import EdgeCore

/// The `ota` section: how the agent runs cloud-ordered firmware upgrades and the start-up health
/// check of a new firmware (Sources/OTA/README.md). Everything board-specific (slots, bootloader
/// environment, how to reboot) comes from the board file instead; without one, orders are refused.
public struct FirmwareUpdateSettings: Equatable, Sendable {
    /// A trial boot must connect its uplink and poll a device within this time, or it exits
    /// without marking itself good (the bootloader's counter then falls back).
    public var trialTimeoutMilliseconds: UInt64
    /// Accept images older than the running firmware (normally refused with `-5`).
    public var allowDowngrade: Bool
    /// CA bundle for https:// firmware URLs; nil: the cloud connection's CA, if it uses TLS.
    public var caFile: String?
    /// After activation, how long to wait for the cloud to confirm step 95 before rebooting.
    public var rebootDelayMilliseconds: UInt64

    public init(trialTimeoutMilliseconds: UInt64 = 180_000, allowDowngrade: Bool = false, caFile: String? = nil,
                rebootDelayMilliseconds: UInt64 = 5_000) {
        self.trialTimeoutMilliseconds = trialTimeoutMilliseconds
        self.allowDowngrade = allowDowngrade
        self.caFile = caFile
        self.rebootDelayMilliseconds = rebootDelayMilliseconds
    }

    static let keys = ["trialTimeoutMs", "allowDowngrade", "caFile", "rebootDelayMs"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> FirmwareUpdateSettings? {
        guard let o else { return FirmwareUpdateSettings() }
        let before = v.errors.count
        let trial = v.integer(in: o, "trialTimeoutMs", required: false, range: 1_000...3_600_000) ?? 180_000
        let downgrade = v.bool(in: o, "allowDowngrade", required: false) ?? false
        let ca = v.string(in: o, "caFile", required: false)
        let delay = v.integer(in: o, "rebootDelayMs", required: false, range: 0...60_000) ?? 5_000
        guard v.errors.count == before else { return nil }
        return FirmwareUpdateSettings(trialTimeoutMilliseconds: UInt64(trial), allowDowngrade: downgrade, caFile: ca,
                                      rebootDelayMilliseconds: UInt64(delay))
    }
}
