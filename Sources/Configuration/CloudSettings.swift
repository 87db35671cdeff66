import EdgeCore
import EnOS
import TLS

/// One device's identity in the cloud: the EnOS triple. The secret signs the gateway's MQTT login
/// or a sub-device's `combine.login`; it is never logged or shown (see `AgentConfiguration.maskedLines`).
public struct CloudCredentials: Equatable, Sendable {
    public var productKey: String
    public var deviceKey: String
    public var deviceSecret: String

    public init(productKey: String, deviceKey: String, deviceSecret: String) {
        self.productKey = productKey
        self.deviceKey = deviceKey
        self.deviceSecret = deviceSecret
    }
}

/// A field device that is a sub-device in the cloud: its index in the field-bus configuration's
/// devices and its credentials (product and device key from the device entry, the secret from
/// `cloud.subDevices`).
public struct SubDeviceCredentials: Equatable, Sendable {
    public var device: Int
    public var credentials: CloudCredentials

    public init(device: Int, credentials: CloudCredentials) {
        self.device = device
        self.credentials = credentials
    }
}

/// The `cloud` section: where the broker is, how to reach it (TCP or TLS), the gateway's own
/// identity, the sub-devices' secrets, keepalive and reconnect back-off.
public struct CloudSettings: Equatable, Sendable {
    public var host: String
    public var port: UInt16
    /// TLS towards the broker (`cloud.tls`); nil: plain TCP. Its `keyPassword` is a secret (`AgentSecrets`).
    public var tls: TLSFileSettings?
    public var keepAliveSeconds: UInt16
    public var reconnectMinimumMilliseconds: UInt64
    public var reconnectMaximumMilliseconds: UInt64
    /// At most 4 connection attempts in this window (EnOS locks a device out for 5 minutes after
    /// more than 4 connects in 2 minutes): 120 s, whatever `reconnectMinimumMilliseconds` is.
    /// Lower only for test brokers (a warning says so, `enosLimitWarnings`).
    public var connectWindowMilliseconds: UInt64
    public var gateway: CloudCredentials
    public var subDevices: [SubDeviceCredentials]
    /// The gateway puts each sub-device into its topology (`thing.topo.add`) before logging it in;
    /// false where an operator manages the topology in the console.
    public var manageTopology = true
    /// Fetch each sub-device product's TSL model at login and leave out of posts the points it
    /// does not define (or defines with another type); see CONFIG.md `checkModels`.
    public var checkModels = true
    /// The EnOS HTTP broker's URL (`cloud.httpBroker`): where the firmware of an order whose
    /// `fileUrl` is `enos-connect://…` or a relative path is fetched (`fileBroker`). nil: none.
    public var httpBroker: String? = nil

    public init(host: String, port: UInt16, tls: TLSFileSettings? = nil, keepAliveSeconds: UInt16 = 60,
                reconnectMinimumMilliseconds: UInt64 = 30_000, reconnectMaximumMilliseconds: UInt64 = 300_000,
                connectWindowMilliseconds: UInt64 = 120_000,
                gateway: CloudCredentials, subDevices: [SubDeviceCredentials] = []) {
        self.host = host
        self.port = port
        self.tls = tls
        self.keepAliveSeconds = keepAliveSeconds
        self.reconnectMinimumMilliseconds = reconnectMinimumMilliseconds
        self.reconnectMaximumMilliseconds = reconnectMaximumMilliseconds
        self.connectWindowMilliseconds = connectWindowMilliseconds
        self.gateway = gateway
        self.subDevices = subDevices
    }

    /// The sub-device entry of field device `device`, if it has one.
    public func subDevice(forDevice device: Int) -> SubDeviceCredentials? {
        for s in subDevices where s.device == device { return s }
        return nil
    }

    static let keys = ["host", "port", "tls", "keepAliveSeconds", "reconnectMinMs", "reconnectMaxMs", "connectWindowMs", "gateway",
                       "subDevices", "manageTopology", "checkModels", "httpBroker"]

    /// Settings accepted (for test and lab brokers) but outside what EnOS allows, in words for a
    /// start-up warning each (empty when all are within EnOS's limits).
    public var enosLimitWarnings: [String] {
        var out: [String] = []
        if keepAliveSeconds < 60 {
            out.append("cloud.keepAliveSeconds \(keepAliveSeconds) is below 60: EnOS requires 60...300 s (fine for a test broker, not for EnOS)")
        }
        if connectWindowMilliseconds < 120_000 {
            out.append("cloud.connectWindowMs \(connectWindowMilliseconds) is below 120000: EnOS locks a device out for 5 minutes after more than 4 connects in 2 minutes (fine for a test broker, not for EnOS)")
        }
        return out
    }

    /// Decodes the `cloud` object; `devices` are the field devices (already decoded) whose cloud
    /// identities the sub-device secrets complete.
    static func decode(_ o: ConfigObject, _ v: inout ConfigValidator, devices: [(name: String, productKey: String?, deviceKey: String?)]) -> CloudSettings? {
        let before = v.errors.count
        let host = v.string(in: o, "host")
        let tls = o.member("tls").flatMap { TLSFileSettings.decode($0.value, at: o.path.key("tls"), &v) }
        let port = v.integer(in: o, "port", required: false, range: 1...65535) ?? (o.member("tls") != nil ? 18883 : 11883)
        let keepAlive = v.integer(in: o, "keepAliveSeconds", required: false, range: 5...300) ?? 60
        let reconnectMin = v.integer(in: o, "reconnectMinMs", required: false, range: 100...3_600_000) ?? 30_000
        let reconnectMax = v.integer(in: o, "reconnectMaxMs", required: false, range: 100...3_600_000) ?? 300_000
        let manageTopology = v.bool(in: o, "manageTopology", required: false) ?? true
        let checkModels = v.bool(in: o, "checkModels", required: false) ?? true
        let httpBroker = decodeHTTPBroker(o, &v)
        let connectWindow = v.integer(in: o, "connectWindowMs", required: false, range: 100...600_000) ?? 120_000
        if reconnectMax < reconnectMin {
            v.report("reconnectMaxMs (\(reconnectMax)) is below reconnectMinMs (\(reconnectMin))",
                     at: o.path.key("reconnectMaxMs"), o.member("reconnectMaxMs")?.value.location)
        }
        var gateway: CloudCredentials? = nil
        if let g = v.object(in: o, "gateway", allowedKeys: ["productKey", "deviceKey", "deviceSecret"]) {
            if let value = o.member("gateway")?.value { checkTopicKeys(value, at: g.path, &v) }
            let pk = v.string(in: g, "productKey"), dk = v.string(in: g, "deviceKey"), secret = v.string(in: g, "deviceSecret")
            if let pk, let dk, let secret { gateway = CloudCredentials(productKey: pk, deviceKey: dk, deviceSecret: secret) }
        }
        var subDevices: [SubDeviceCredentials] = []
        var seen: [Int] = []
        if let list = v.array(in: o, "subDevices", required: false) {
            for (i, element) in list.enumerated() {
                let path = o.path.key("subDevices").index(i)
                guard let s = v.object(element, at: path, allowedKeys: ["device", "deviceSecret"]) else { continue }
                let name = v.string(in: s, "device")
                let secret = v.string(in: s, "deviceSecret")
                guard let name else { continue }
                guard let index = devices.firstIndex(where: { $0.name == name }) else {
                    var known = ""
                    for d in devices where d.productKey != nil {
                        known += known.isEmpty ? " (devices with a cloud identity: " : ", "
                        known += d.name
                    }
                    if !known.isEmpty { known += ")" }
                    v.report("unknown device \"\(name)\"" + known, at: path.key("device"), s.member("device")?.value.location)
                    continue
                }
                if seen.contains(index) {
                    v.report("device \"\(name)\" is listed twice", at: path.key("device"), s.member("device")?.value.location)
                    continue
                }
                seen.append(index)
                guard let pk = devices[index].productKey, let dk = devices[index].deviceKey else {
                    v.report("device \"\(name)\" has no cloud identity: give it productKey and deviceKey in \"devices\"",
                             at: path.key("device"), s.member("device")?.value.location)
                    continue
                }
                if let secret {
                    subDevices.append(SubDeviceCredentials(device: index, credentials: CloudCredentials(productKey: pk, deviceKey: dk, deviceSecret: secret)))
                }
            }
        }
        // Every device with a cloud identity logs in as a sub-device, which needs its secret;
        // without one it could never send (and the gateway once trapped on the gap).
        for (index, d) in devices.enumerated() where d.productKey != nil && d.deviceKey != nil && !seen.contains(index) {
            let at = o.member("subDevices")
            v.report("device \"\(d.name)\" has a cloud identity (productKey and deviceKey in \"devices\") but no secret: "
                     + "add {\"device\": \"\(d.name)\", \"deviceSecret\": \"...\"} to cloud.subDevices",
                     at: at != nil ? o.path.key("subDevices") : o.path, at?.value.location ?? o.location)
        }
        guard v.errors.count == before, let host, let gateway else { return nil }
        var settings = CloudSettings(host: host, port: UInt16(port), tls: tls, keepAliveSeconds: UInt16(keepAlive),
                                     reconnectMinimumMilliseconds: UInt64(reconnectMin), reconnectMaximumMilliseconds: UInt64(reconnectMax),
                                     connectWindowMilliseconds: UInt64(connectWindow), gateway: gateway, subDevices: subDevices)
        settings.manageTopology = manageTopology
        settings.checkModels = checkModels
        settings.httpBroker = httpBroker
        return settings
    }

    /// Reports a `productKey` or `deviceKey` of `object` (a device entry or `cloud.gateway`) that
    /// cannot be a level of an MQTT topic (`EnOSTopic.keyProblem`): every topic of the device
    /// would be refused by the broker or match other devices, and the uplink would go silent.
    /// Values that are not strings, and empty ones, are reported where the entry is decoded.
    static func checkTopicKeys(_ object: JSONValue, at path: JSONPath, _ v: inout ConfigValidator) {
        for key in ["productKey", "deviceKey"] {
            guard let value = object[key], let text = value.stringValue, !text.isEmpty,
                  let problem = EnOSTopic.keyProblem(text) else { continue }
            v.report(key + " " + problem + "; it is part of every MQTT topic of the device, which allows no \"/\", \"+\", \"#\" or control characters",
                     at: path.key(key), value: value)
        }
    }
}
