/// The gateway's own figures, posted as gateway measurepoints every `status.intervalMs` and shown
/// by the console: ring-log depth and drops, bus utilization, uplink state, memory, uptime,
/// firmware version and slot, the running configuration's version and SHA-256 (drift shows as
/// another hash than the cloud's copy).
public struct GatewayStatus: Sendable {
    public var ringLogUnacknowledgedRecords: UInt64 = 0
    public var ringLogDroppedRecords: UInt64 = 0
    /// Highest bus utilization, in parts per million of the wall time.
    public var busUtilizationPPM: UInt64 = 0
    public var devicesOnline = 0
    public var devicesTotal = 0
    /// Sub-devices (devices with a cloud identity), those logged in, and those whose last login
    /// the cloud refused or did not answer (console only: not a gateway measurepoint).
    public var subDevicesTotal = 0
    public var subDevicesLoggedIn = 0
    public var subDevicesRefused = 0
    public var uplinkConnected = false
    public var residentKiB: UInt64 = 0
    public var uptimeSeconds: UInt64 = 0
    public var firmwareVersion: String = ""
    public var firmwareSlot: String = ""
    /// The running configuration's `version` (empty: unversioned) and SHA-256 (hex).
    public var configVersion: String = ""
    public var configHash: String = ""
    /// The configuration trial (BUNDLE.md "Trial and rollback"): "" none since the start,
    /// "on trial: version V", "passed: version V", or "rolled back: version V: why".
    public var configTrial: String = ""
    /// Alarm rules configured, and the alarms raised now per level (`AlarmLevel.rawValue` − 1:
    /// info, warning, minor, major, critical); posted as `alarmsInfo` … `alarmsCritical` when
    /// there are rules.
    public var alarmRules = 0
    public var alarmsRaised: InlineArray<5, Int> = InlineArray(repeating: 0)

    public init() {}

    /// Measurepoint identifiers, in the order the uplink writes them.
    public static let pointIds: [StaticString] = ["ringLogDepth", "ringLogDrops", "busUtilization", "devicesOnline",
                                                  "uplinkConnected", "memoryKiB", "uptime", "firmwareVersion", "firmwareSlot",
                                                  "configVersion", "configHash", "configTrial"]
}
