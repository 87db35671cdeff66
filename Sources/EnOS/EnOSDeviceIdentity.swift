/// One EnOS device as the cloud knows it: the product key / device key / device secret triple.
/// The gateway and each of its sub-devices have one. Held as Strings built at start-up (from the
/// configuration); the hot paths read their UTF-8 bytes in place and never copy them.
public struct EnOSDeviceIdentity: Equatable, Sendable {
    public var productKey: String
    public var deviceKey: String
    /// The device secret (secure mode 2). Never sent on the wire, only hashed into signatures.
    public var deviceSecret: String

    public init(productKey: String, deviceKey: String, deviceSecret: String) {
        self.productKey = productKey
        self.deviceKey = deviceKey
        self.deviceSecret = deviceSecret
    }
}

/// Which device of the gateway a topic or a message is about: the gateway itself, one of its
/// configured sub-devices (index into the configuration's list), or a device it does not know.
public enum EnOSDeviceReference: Equatable, Sendable {
    case gateway
    case subDevice(Int)
    case unknown
}
