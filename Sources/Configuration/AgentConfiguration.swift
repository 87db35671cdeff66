import CShim
import EdgeCore
import FieldBus
import Logging
import RingLog
import TLS

/// The agent's whole configuration, from one JSON file (format in Sources/Configuration/CONFIG.md): the
/// field buses, templates and devices (decoded by `FieldBusConfiguration`, the same rules as its
/// own files), the cloud, the ring log, publishing, status, device control, console and logging.
/// Built only by `load`/`parse`, which return all of it or throw every problem found, each naming
/// the file, the path in the document, the line and column and the reason; nothing starts half
/// configured, and a reload with a bad file leaves the running configuration alone. Start-up only
/// (allocates).
public struct AgentConfiguration: Equatable, Sendable {
    public var file: String
    public var fieldBus: FieldBusConfiguration
    public var cloud: CloudSettings
    public var store: StoreSettings
    public var publishing: PublishingSettings
    public var status: StatusSettings
    public var control: ControlSettings
    public var console: ConsoleSettings
    public var logging: LoggingSettings
    /// The `ota` section (firmware upgrades; the slots come from the board file).
    public var ota = FirmwareUpdateSettings()
    /// The `watchdog` section (a hardware watchdog kicked from the loop).
    public var watchdog = WatchdogSettings()
    /// The `configTrial` section (how long an applied bundle has to prove itself).
    public var configTrial = ConfigurationTrialSettings()
    /// The services of templates and devices (`thing.service.{id}` mapped to writes).
    public var services = ServiceCatalog()
    /// The `alarms` section (rules evaluated on the gateway; empty without it).
    public var alarms = AlarmSettings()
    /// The file's version (root `version`, written by the configuration bundle that installed
    /// it) and the SHA-256 of its bytes (see `ConfigurationRevision`).
    public var revision = ConfigurationRevision()

    public init(file: String, fieldBus: FieldBusConfiguration, cloud: CloudSettings, store: StoreSettings,
                publishing: PublishingSettings = PublishingSettings(), status: StatusSettings = StatusSettings(),
                control: ControlSettings = ControlSettings(), console: ConsoleSettings = ConsoleSettings(),
                logging: LoggingSettings = LoggingSettings()) {
        self.file = file
        self.fieldBus = fieldBus
        self.cloud = cloud
        self.store = store
        self.publishing = publishing
        self.status = status
        self.control = control
        self.console = console
        self.logging = logging
    }

    static let rootKeys = ["buses", "templates", "devices", "cloud", "ringLog", "publishing", "status", "control",
                           "console", "logging", "ota", "alarms", "watchdog", "configTrial", "version"]

    /// Reads and validates `file`.
    public static func load(file: String, checkDevicePaths: Bool = true) throws(ConfigErrors) -> AgentConfiguration {
        var v = ConfigValidator(file: file)
        let bytes: [UInt8]
        do throws(FileBytesError) {
            bytes = try FileBytes.read(path: file)
        } catch {
            v.report(error.message, at: .root, nil)
            throw v.collected
        }
        return try parse(bytes, file: file, checkDevicePaths: checkDevicePaths)
    }

    /// Validates a document held in memory; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String, checkDevicePaths: Bool = true) throws(ConfigErrors) -> AgentConfiguration {
        var v = ConfigValidator(file: file)
        guard let document = v.parseDocument(bytes) else { throw v.collected }
        var config = try decode(document, &v, checkDevicePaths: checkDevicePaths)
        config.revision = ConfigurationRevision(version: config.revision.version, bytes: bytes)
        return config
    }

    static func decode(_ document: JSONValue, _ v: inout ConfigValidator, checkDevicePaths: Bool) throws(ConfigErrors) -> AgentConfiguration {
        guard let root = v.object(document, at: .root, allowedKeys: rootKeys) else { throw v.collected }
        let fieldBus = FieldBusConfiguration.decode(root, &v, checkDevicePaths: checkDevicePaths)
        // The cloud section names devices: use the raw device entries so that a device refused
        // for another reason gets no second error here.
        var devices: [(name: String, productKey: String?, deviceKey: String?)] = []
        for (i, element) in (root.member("devices")?.value.arrayElements ?? []).enumerated() {
            CloudSettings.checkTopicKeys(element, at: JSONPath.root.key("devices").index(i), &v)
            guard let name = element["name"]?.stringValue else { continue }
            devices.append((name, element["productKey"]?.stringValue, element["deviceKey"]?.stringValue))
        }
        var cloud: CloudSettings? = nil
        if let o = v.object(in: root, "cloud", allowedKeys: CloudSettings.keys) {
            cloud = CloudSettings.decode(o, &v, devices: devices)
        }
        var store: StoreSettings? = nil
        if let o = v.object(in: root, "ringLog", allowedKeys: StoreSettings.keys) {
            store = StoreSettings.decode(o, &v)
        }
        let publishing = PublishingSettings.decode(v.object(in: root, "publishing", required: false, allowedKeys: PublishingSettings.keys), &v)
        let status = StatusSettings.decode(v.object(in: root, "status", required: false, allowedKeys: ["intervalMs"]), &v)
        let control = ControlSettings.decode(v.object(in: root, "control", required: false, allowedKeys: ControlSettings.keys), &v)
        let console = ConsoleSettings.decode(v.object(in: root, "console", required: false, allowedKeys: ConsoleSettings.keys), &v)
        let logging = LoggingSettings.decode(v.object(in: root, "logging", required: false, allowedKeys: LoggingSettings.keys), &v)
        let version = v.string(in: root, "version", required: false)
        let ota = FirmwareUpdateSettings.decode(v.object(in: root, "ota", required: false, allowedKeys: FirmwareUpdateSettings.keys), &v)
        let watchdog = WatchdogSettings.decode(v.object(in: root, "watchdog", required: false, allowedKeys: WatchdogSettings.keys), &v)
        let configTrial = ConfigurationTrialSettings.decode(v.object(in: root, "configTrial", required: false,
                                                                     allowedKeys: ConfigurationTrialSettings.keys), &v)
        var services: ServiceCatalog? = ServiceCatalog()
        if let fieldBus { services = ServiceCatalog.decode(root, &v, fieldBus: fieldBus) }
        var alarms: AlarmSettings? = AlarmSettings()
        if let fieldBus { alarms = AlarmSettings.decode(root, &v, fieldBus: fieldBus) }
        guard !v.hasErrors, let fieldBus, let cloud, let store, let publishing, let status, let control, let console, let logging,
              let ota, let watchdog, let configTrial, let services, let alarms else {
            throw v.collected
        }
        var config = AgentConfiguration(file: v.file, fieldBus: fieldBus, cloud: cloud, store: store, publishing: publishing,
                                        status: status, control: control, console: console, logging: logging)
        config.ota = ota
        config.watchdog = watchdog
        config.configTrial = configTrial
        config.services = services
        config.alarms = alarms
        config.revision.version = version ?? ""
        return config
    }

    /// The effective configuration for the console's `config` command and the start-up log, one
    /// line per setting, with every secret (device secrets, console password) masked.
    public func maskedLines() -> [String] {
        var lines: [String] = []
        lines.append("file: " + file)
        lines.append("version: " + revision.summary)
        lines.append("cloud: \(cloud.host):\(cloud.port)" + (cloud.tls == nil ? " (tcp)" : " (tls)"))
        if let tls = cloud.tls {
            lines.append("cloud.tls: ca \(tls.caFile)" + (tls.certificateFile.map { ", cert " + $0 } ?? "")
                         + (tls.keyFile != nil ? ", key ****" : "") + (tls.verifyHostName ? ", host name checked" : ", host name not checked"))
        }
        lines.append("cloud.gateway: \(cloud.gateway.productKey)/\(cloud.gateway.deviceKey) secret ****")
        for s in cloud.subDevices {
            lines.append("cloud.subDevice: \(fieldBus.devices[s.device].name) = \(s.credentials.productKey)/\(s.credentials.deviceKey) secret ****")
        }
        lines.append("cloud.keepAlive: \(cloud.keepAliveSeconds) s, reconnect \(cloud.reconnectMinimumMilliseconds)...\(cloud.reconnectMaximumMilliseconds) ms")
        for b in fieldBus.buses {
            switch b.transport {
            case .serial(let s): lines.append("bus \(b.name): serial \(s.path) \(s.baud) baud")
            case .tcp(let t): lines.append("bus \(b.name): tcp \(t.host):\(t.port)")
            }
        }
        for d in fieldBus.devices {
            lines.append("device \(d.name): " + (d.isVirtual ? "virtual" : "\(fieldBus.templates[d.template].name) unit \(d.unitId) on \(fieldBus.buses[d.bus].name)")
                         + (d.cloud.map { " cloud " + $0.productKey + "/" + $0.deviceKey } ?? ""))
        }
        lines.append("ringLog: \(store.path) size \(store.size) sector \(store.sectorSize) sync \(store.syncIntervalMilliseconds) ms / \(store.syncBytes) bytes, "
                     + (store.whenFull == .dropOldest ? "drop oldest when full" : "refuse appends when full"))
        lines.append("publishing: batch \(publishing.batchSamples) samples, live every \(publishing.liveIntervalMilliseconds) ms, resume \(publishing.resumeSamplesPerSecond) samples/s, "
                     + "\(publishing.inFlightRequests) in flight, ack " + (publishing.acknowledgement == .reply ? "reply 200" : "PUBACK"))
        lines.append("status: every \(status.intervalMilliseconds) ms")
        lines.append("control: ttl \(control.commandTTLMilliseconds) ms, read-back " + (control.readBack ? "on" : "off"))
        switch console.input {
        case .none: lines.append("console: none")
        case .stdin: lines.append("console: stdin" + (console.password != nil ? ", password ****" : ""))
        case .tty(let d): lines.append("console: tty " + (d ?? "(board)") + (console.password != nil ? ", password ****" : ""))
        }
        lines.append("logging: \(logging.level.name) to " + (logging.output == .stderr ? "stderr" : "syslog"))
        lines.append("ota: trial health check within \(ota.trialTimeoutMilliseconds) ms, downgrades " + (ota.allowDowngrade ? "allowed" : "refused")
                     + (ota.caFile.map { ", https CA " + $0 } ?? "") + ", reboot after step 95 confirmed or \(ota.rebootDelayMilliseconds) ms")
        if let device = watchdog.device { lines.append("watchdog: \(device) kicked every \(watchdog.kickIntervalMilliseconds) ms") }
        return lines
    }
}
