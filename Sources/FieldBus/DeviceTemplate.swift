/// A device model's point table, shared by every device of that model: the points, the
/// addresses the device must never be asked for, its per-read limits and a default interval.
public struct DeviceTemplate: Equatable, Sendable {
    public var name: String
    public var points: [PointDefinition]
    public var forbidden: [AddressRange]
    public var limits: DeviceLimits
    /// Poll interval of points that name none, in milliseconds.
    public var defaultIntervalMilliseconds: UInt32
    /// The protocol the points are addressed in: nil for Modbus (RTU or TCP, by register),
    /// `.dlt645` for DL/T 645 (by data identifier, `PointDefinition.objectAddress`).
    public var fieldProtocol: FieldProtocolKind? = nil

    public init(name: String, points: [PointDefinition], forbidden: [AddressRange] = [],
                limits: DeviceLimits = DeviceLimits(), defaultIntervalMilliseconds: UInt32 = 1000) {
        self.name = name
        self.points = points
        self.forbidden = forbidden
        self.limits = limits
        self.defaultIntervalMilliseconds = defaultIntervalMilliseconds
    }

    /// Index of the point with this identifier, or nil.
    public func pointIndex(named identifier: String) -> Int? {
        for i in points.indices where points[i].identifier == identifier { return i }
        return nil
    }
}
