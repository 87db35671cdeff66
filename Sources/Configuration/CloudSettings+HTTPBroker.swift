import EdgeCore
import OTA

/// `cloud.httpBroker`: the EnOS HTTP broker (the console's "Environment Information" page lists
/// it) through which the gateway fetches EnOS files, authenticated as the gateway itself. The
/// official SDKs take it as its own setting and derive nothing from the MQTT host, so neither
/// does the agent: without it, an order for an `enos-connect://` or relative file fails with
/// that reason (step -2), while http(s):// orders work as before.
extension CloudSettings {
    /// The broker with the gateway's triple, when `httpBroker` is set (checked at load).
    public var fileBroker: EnOSFileBroker? {
        guard let httpBroker else { return nil }
        return EnOSFileBroker(url: httpBroker, productKey: gateway.productKey, deviceKey: gateway.deviceKey,
                              deviceSecret: gateway.deviceSecret)
    }

    static func decodeHTTPBroker(_ o: ConfigObject, _ v: inout ConfigValidator) -> String? {
        guard let text = v.string(in: o, "httpBroker", required: false) else { return nil }
        guard EnOSFileBroker(url: text, productKey: "", deviceKey: "", deviceSecret: "") != nil else {
            v.report("\"\(text)\" is not an http(s)://host[:port][/path] URL without query (the EnOS HTTP broker, e.g. https://broker.example.com)",
                     at: o.path.key("httpBroker"), o.member("httpBroker")?.value.location)
            return nil
        }
        return text
    }
}
