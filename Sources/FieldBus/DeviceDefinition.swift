/// The cloud identity of a sub-device (EnOS product key and device key).
public struct CloudIdentity: Equatable, Sendable {
    public var productKey: String
    public var deviceKey: String

    public init(productKey: String, deviceKey: String) {
        self.productKey = productKey
        self.deviceKey = deviceKey
    }
}

/// One field device: an instance of a template at a unit id on a bus, optionally polled at its
/// own interval (which then applies to all its points), with its identity in the cloud.
public struct DeviceDefinition: Equatable, Sendable {
    public var name: String
    /// Index into the configuration's templates.
    public var template: Int
    public var unitId: UInt8
    /// The protocol address beyond the unit id: a DL/T 645 meter address as its 6 wire bytes
    /// (least significant first) in the low 48 bits; 0 for Modbus.
    public var station: UInt64 = 0
    /// Index into the configuration's buses; -1 for a virtual device (`"type": "virtual"`: no
    /// bus, every point derived from other devices' points).
    public var bus: Int
    public var intervalOverrideMilliseconds: UInt32?
    public var cloud: CloudIdentity?

    public init(name: String, template: Int, unitId: UInt8, bus: Int,
                intervalOverrideMilliseconds: UInt32? = nil, cloud: CloudIdentity? = nil) {
        self.name = name
        self.template = template
        self.unitId = unitId
        self.bus = bus
        self.intervalOverrideMilliseconds = intervalOverrideMilliseconds
        self.cloud = cloud
    }

    /// True for a virtual device: nothing to poll, its points computed from other devices'.
    @inlinable public var isVirtual: Bool { bus < 0 }

    /// The interval a point of `template` is polled at on this device, in milliseconds.
    @inlinable public func interval(of point: PointDefinition, in template: DeviceTemplate) -> UInt32 {
        intervalOverrideMilliseconds ?? point.intervalMilliseconds ?? template.defaultIntervalMilliseconds
    }
}
