/// Where a downstream message belongs: which device (gateway, sub-device n, unknown) and what it
/// is (a command, the cloud's reply to one of our requests, an echo of our own command reply, or
/// something unknown). Ranges point into the topic bytes given to `EnOSTopicRouter.route`.
public struct EnOSRoute: Equatable, Sendable {
    public enum Target: Equatable, Sendable {
        case command(EnOSCommandKind)
        case reply(EnOSRequestKind)
        /// A `…_reply` on a command topic: our own reply, delivered back because we subscribe to
        /// the command topics with wildcards (MQTT 3.1.1 has no "no local"). Ignore it.
        case commandReplyEcho
        case unknown
    }

    public var device: EnOSDeviceReference
    public var target: Target
    /// The topic after `/sys/{pk}/{dk}/` or `/ext/session/{pk}/{dk}/`, `_reply` included: with
    /// slashes as dots, what the envelope's `method` must be for a command.
    public var suffix: Range<Int>
    /// For `.command(.service)`: the service id in the topic.
    public var serviceId: Range<Int>
    /// True for `/ext/session/` topics.
    public var isSessionTopic: Bool

    public init(device: EnOSDeviceReference, target: Target, suffix: Range<Int> = 0..<0,
                serviceId: Range<Int> = 0..<0, isSessionTopic: Bool = false) {
        self.device = device
        self.target = target
        self.suffix = suffix
        self.serviceId = serviceId
        self.isSessionTopic = isSessionTopic
    }

    /// True if `method` (raw bytes of the envelope's method string) is the topic suffix with
    /// slashes as dots: the check behind reply code 1260 "Methods not consistent".
    public func methodMatches(_ method: UnsafeRawBufferPointer, topic: UnsafeRawBufferPointer) -> Bool {
        guard method.count == suffix.count else { return false }
        var i = 0
        for j in suffix {
            let t = topic[j] == UInt8(ascii: "/") ? UInt8(ascii: ".") : topic[j]
            if method[i] != t { return false }
            i += 1
        }
        return true
    }
}

/// Routes downstream topics (spec §3.2). Dispatches `thing/service/measurepoint/set|get` before the
/// generic `thing/service/{id}`; recognises the `_reply` topics of every request kind. Pure, no
/// allocation; device lookup is a linear search (≤ a few hundred sub-devices).
public enum EnOSTopicRouter {
    public static func route(_ topic: UnsafeRawBufferPointer, gateway: EnOSDeviceIdentity,
                             subDevices: [EnOSDeviceIdentity]) -> EnOSRoute {
        var i = 0
        let session: Bool
        if hasPrefix(topic, at: 0, "/sys/") {
            session = false
            i = 5
        } else if hasPrefix(topic, at: 0, "/ext/session/") {
            session = true
            i = 13
        } else {
            return EnOSRoute(device: .unknown, target: .unknown)
        }
        guard let pkEnd = indexOfSlash(topic, from: i), pkEnd > i else { return EnOSRoute(device: .unknown, target: .unknown) }
        let pk = i..<pkEnd
        guard let dkEnd = indexOfSlash(topic, from: pkEnd + 1), dkEnd > pkEnd + 1 else {
            return EnOSRoute(device: .unknown, target: .unknown)
        }
        let dk = (pkEnd + 1)..<dkEnd
        let suffix = (dkEnd + 1)..<topic.count
        var device = EnOSDeviceReference.unknown
        if equals(topic, pk, gateway.productKey) && equals(topic, dk, gateway.deviceKey) {
            device = .gateway
        } else if !session {
            var n = 0
            while n < subDevices.count {   // an index loop: enumerated() allocates in debug builds
                if equals(topic, pk, subDevices[n].productKey) && equals(topic, dk, subDevices[n].deviceKey) {
                    device = .subDevice(n)
                    break
                }
                n += 1
            }
        }
        var route = EnOSRoute(device: device, target: .unknown, suffix: suffix, isSessionTopic: session)
        let rest = UnsafeRawBufferPointer(rebasing: topic[suffix])
        if hasSuffix(rest, "_reply") {
            let base = UnsafeRawBufferPointer(rebasing: rest[0..<(rest.count - 6)])
            route.target = replyTarget(base, session: session)
            return route
        }
        if session {
            if same(rest, "combine/enable") { route.target = .command(.subDevicesEnabled) }
            else if same(rest, "combine/disable") { route.target = .command(.subDevicesDisabled) }
            else if same(rest, "combine/delete") { route.target = .command(.subDevicesDeleted) }
            return route
        }
        if same(rest, "thing/service/measurepoint/set") {
            route.target = .command(.measurepointSet)
        } else if same(rest, "thing/service/measurepoint/get") {
            route.target = .command(.measurepointGet)
        } else if same(rest, "ota/device/upgrade") {
            route.target = .command(.otaUpgrade)
        } else if hasPrefix(rest, at: 0, "thing/service/"), rest.count > 14, indexOfSlash(rest, from: 14) == nil {
            route.target = .command(.service)
            route.serviceId = (suffix.lowerBound + 14)..<suffix.upperBound
        }
        return route
    }

    static func replyTarget(_ base: UnsafeRawBufferPointer, session: Bool) -> EnOSRoute.Target {
        if session {
            if same(base, "combine/login") { return .reply(.subDeviceLogin) }
            if same(base, "combine/login/batch") { return .reply(.subDeviceLoginBatch) }
            if same(base, "combine/logout") { return .reply(.subDeviceLogout) }
            if same(base, "combine/enable") || same(base, "combine/disable") || same(base, "combine/delete") {
                return .commandReplyEcho
            }
            return .unknown
        }
        if same(base, "thing/measurepoint/post") { return .reply(.measurepointPost) }
        if same(base, "thing/measurepoint/post/batch") { return .reply(.measurepointPostBatch) }
        if same(base, "thing/measurepoint/resume") { return .reply(.measurepointResume) }
        if same(base, "thing/measurepoint/resume/batch") { return .reply(.measurepointResumeBatch) }
        if same(base, "connection/state/post") { return .reply(.connectionStatePost) }
        if same(base, "ota/device/inform") { return .reply(.otaInform) }
        if same(base, "ota/device/progress") { return .reply(.otaProgress) }
        if same(base, "thing/topo/get") { return .reply(.topologyGet) }
        if same(base, "thing/topo/add") { return .reply(.topologyAdd) }
        if same(base, "thing/tsltemplate/get") { return .reply(.tslTemplateGet) }
        if hasPrefix(base, at: 0, "thing/event/"), hasSuffix(base, "/post"), base.count > 17 { return .reply(.eventPost) }
        if hasPrefix(base, at: 0, "thing/service/") || same(base, "ota/device/upgrade") { return .commandReplyEcho }
        return .unknown
    }

    // MARK: Byte helpers

    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, at start: Int, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count - start >= n else { return false }
        let p = text.utf8Start
        for k in 0..<n where bytes[start + k] != p[k] { return false }
        return true
    }

    static func hasSuffix(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        return hasPrefix(bytes, at: bytes.count - n, text)
    }

    static func same(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && hasPrefix(bytes, at: 0, text)
    }

    static func indexOfSlash(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var k = start
        while k < bytes.count {
            if bytes[k] == UInt8(ascii: "/") { return k }
            k += 1
        }
        return nil
    }

    /// True if `bytes[range]` is the UTF-8 of `text`.
    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ text: String) -> Bool {
        var k = range.lowerBound
        for b in text.utf8 {
            guard k < range.upperBound, bytes[k] == b else { return false }
            k += 1
        }
        return k == range.upperBound
    }
}
