/// The EnOS HTTP broker a gateway downloads EnOS files through (the Java SDK's `HttpConnection`
/// with a `StaticDeviceCredential`): its base URL (`https://host[:port][/prefix]`, from
/// `cloud.httpBroker`), the gateway's own triple, and the session lifetime it asks for.
/// The secret only signs the authentication; it is never sent or logged.
public struct EnOSFileBroker: Equatable, Sendable {
    /// Host, port and scheme of the broker; `basePath` is its path without a trailing `/`.
    public var url: HTTPURL
    public var basePath: String
    public var productKey: String
    public var deviceKey: String
    public var deviceSecret: String
    /// The `lifetime` of the session asked for at authentication (the SDK's default: 5 minutes);
    /// a session older than 9/10 of it is renewed before a (re)connection.
    public var lifetimeMilliseconds: UInt64

    /// The SDK's `SessionConfiguration.DEFAULT_LIFETIME`.
    public static let defaultLifetimeMilliseconds: UInt64 = 300_000

    /// nil when `url` is not `http(s)://host[:port][/path]` or has a query or fragment.
    public init?(url text: String, productKey: String, deviceKey: String, deviceSecret: String,
                 lifetimeMilliseconds: UInt64 = EnOSFileBroker.defaultLifetimeMilliseconds) {
        guard let parsed = HTTPURL(text), !parsed.target.utf8.contains(UInt8(ascii: "?")), !parsed.target.utf8.contains(UInt8(ascii: "#")) else { return nil }
        var base = parsed.target
        while base.hasSuffix("/") { base.removeLast() }
        url = parsed
        basePath = base
        self.productKey = productKey
        self.deviceKey = deviceKey
        self.deviceSecret = deviceSecret
        self.lifetimeMilliseconds = max(lifetimeMilliseconds, 10_000)
    }
}
