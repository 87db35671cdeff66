import EdgeCore

/// The `watchdog` section: a hardware watchdog device the loop keeps from firing while it turns
/// (`/dev/watchdog`: a stalled loop stops the kicks and the device resets the board). systemd's
/// software watchdog needs no configuration: the unit's `WatchdogSec=` is enough
/// (Board/systemd/edge-agent.service).
public struct WatchdogSettings: Equatable, Sendable {
    /// The watchdog device; nil: no hardware watchdog is used.
    public var device: String?
    /// How often the loop kicks it: well under the device's timeout (often 60 s; 15 s on
    /// many SoCs), so a busy turn never lets it fire.
    public var kickIntervalMilliseconds: UInt64

    public init(device: String? = nil, kickIntervalMilliseconds: UInt64 = 5_000) {
        self.device = device
        self.kickIntervalMilliseconds = kickIntervalMilliseconds
    }

    static let keys = ["device", "kickIntervalMs"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> WatchdogSettings? {
        guard let o else { return WatchdogSettings() }
        let before = v.errors.count
        let device = v.string(in: o, "device", required: true)
        let interval = v.integer(in: o, "kickIntervalMs", required: false, range: 1_000...60_000) ?? 5_000
        guard v.errors.count == before else { return nil }
        return WatchdogSettings(device: device, kickIntervalMilliseconds: UInt64(interval))
    }
}
