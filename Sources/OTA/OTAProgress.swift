/// The EnOS `ota.device.progress` steps of an update, and when to send them: `step` 1…80 while
/// downloading (reported each time it advances by `interval` or more), 85 when the image has
/// been verified and synced, 95 when it is activated and the gateway is about to reboot; the new
/// firmware reports 100 after its health check, then `ota.device.inform`. Failures use the
/// negative steps of `FirmwareImageError`/`DownloadError`/`SlotError`. Pure; never allocates.
public struct OTAProgress: Sendable {
    /// One report: the step (sent as a string) and its description.
    public struct Report: Equatable, Sendable {
        public var step: Int
        public var desc: StaticString
        public static func == (a: Self, b: Self) -> Bool { a.step == b.step }
    }

    public static let verified = Report(step: 85, desc: "firmware verified and written")
    public static let activated = Report(step: 95, desc: "firmware activated, rebooting")
    public static let committed = Report(step: 100, desc: "firmware upgraded")

    public let interval: Int
    private var lastStep = 0

    public init(interval: Int = 10) { self.interval = max(interval, 1) }

    /// The report due after `received` of `total` bytes (total nil: unknown), if any.
    public mutating func downloaded(_ received: UInt64, of total: UInt64?) -> Report? {
        guard let total, total > 0 else {
            if lastStep == 0 { lastStep = 1; return Report(step: 1, desc: "downloading firmware") }
            return nil
        }
        let step = 1 + Int(min(received, total) * 79 / total)
        guard step >= lastStep + interval || (step == 80 && lastStep < 80) || lastStep == 0 else { return nil }
        lastStep = step
        return Report(step: step, desc: step == 80 ? "downloading firmware finished" : "downloading firmware")
    }
}
