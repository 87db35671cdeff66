import EdgeCore

/// Builds EnOS topics into caller buffers (no allocation): request topics, their `_reply`
/// topics, command topics and command-reply topics. Every builder returns the byte count, or
/// nil if the buffer is too small. Rule (spec §3): `/sys/{pk}/{dk}/` (or `/ext/session/{pk}/{dk}/`
/// for `combine.*`) followed by the method with dots turned into slashes.
public enum EnOSTopic {
    /// The topic of a request; `eventId` is required for `.eventPost` and ignored otherwise.
    public static func request(_ kind: EnOSRequestKind, productKey: String, deviceKey: String, eventId: String? = nil,
                               reply: Bool = false, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var w = EnOSByteWriter(buffer)
        prefix(&w, session: kind.isSessionTopic, productKey: productKey, deviceKey: deviceKey)
        appendDotsAsSlashes(&w, kind.method)
        if kind == .eventPost {
            guard let eventId else { return nil }
            w.append(eventId)
            w.append("/post")
        }
        if reply { w.append("_reply") }
        return w.bytes?.count
    }

    /// The topic of a command (or, with `reply`, where its reply goes). `serviceId` is required
    /// for `.service` (bytes, e.g. copied from the incoming topic).
    public static func command(_ kind: EnOSCommandKind, productKey: String, deviceKey: String,
                               serviceId: UnsafeRawBufferPointer? = nil, reply: Bool = false,
                               into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var w = EnOSByteWriter(buffer)
        prefix(&w, session: kind.isSessionTopic, productKey: productKey, deviceKey: deviceKey)
        w.append(kind.topicSuffix)
        if kind == .service {
            guard let serviceId, serviceId.count > 0 else { return nil }
            w.append(bytes: serviceId)
        }
        if reply { w.append("_reply") }
        return w.bytes?.count
    }

    /// A subscription filter for the device's topics: `suffix` after the `/sys/{pk}/{dk}/`
    /// (or `/ext/session/…/`) prefix. For start-up use (allocates the String).
    public static func filter(session: Bool, productKey: String, deviceKey: String, suffix: String) -> String {
        (session ? "/ext/session/" : "/sys/") + productKey + "/" + deviceKey + "/" + suffix
    }

    /// Why `key` (a product key or device key) cannot be a level of an MQTT topic, or nil if it
    /// can: empty, or holding `/` (a level separator), `+` or `#` (wildcards: a subscription
    /// filter would match other devices' topics, a publish is refused by the broker), NUL or
    /// another control character. Such a key makes every topic of the device unusable, so the
    /// configuration refuses it up front.
    public static func keyProblem(_ key: String) -> String? {
        if key.isEmpty { return "is empty" }
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "/"): return "holds \"/\", the MQTT topic level separator"
            case UInt8(ascii: "+"): return "holds \"+\", an MQTT topic wildcard"
            case UInt8(ascii: "#"): return "holds \"#\", an MQTT topic wildcard"
            case 0: return "holds a NUL character"
            case 1..<0x20, 0x7F: return "holds a control character (" + Hex.string(byte, width: 2) + ")"
            default: continue
            }
        }
        return nil
    }

    static func prefix(_ w: inout EnOSByteWriter, session: Bool, productKey: String, deviceKey: String) {
        w.append(session ? "/ext/session/" : "/sys/")
        w.append(productKey)
        w.append(UInt8(ascii: "/"))
        w.append(deviceKey)
        w.append(UInt8(ascii: "/"))
    }

    static func appendDotsAsSlashes(_ w: inout EnOSByteWriter, _ method: StaticString) {
        let p = method.utf8Start
        for i in 0..<method.utf8CodeUnitCount {
            w.append(p[i] == UInt8(ascii: ".") ? UInt8(ascii: "/") : p[i])
        }
    }
}
