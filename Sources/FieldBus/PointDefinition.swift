import EdgeCompute

/// One measuring point of a device model: where it lives, how it is encoded, how it is scaled
/// (engineering value = raw × scale + offset), how often it is polled and whether the cloud may
/// write it (and within which engineering range).
public struct PointDefinition: Equatable, Sendable {
    public var identifier: String
    public var table: RegisterTable
    public var address: UInt16
    public var dataType: PointDataType
    public var order: WordOrder
    public var scale: Double
    public var offset: Double
    /// Poll interval in milliseconds; nil takes the template's default.
    public var intervalMilliseconds: UInt32?
    public var writable: Bool
    /// Engineering values a write may set; nil allows anything the type can hold.
    public var allowedRange: ClosedRange<Double>?
    /// The point's address in protocols that do not use register tables: the DL/T 645 data
    /// identifier (DI, e.g. 0x02010100); 0 for Modbus.
    public var objectAddress: UInt32 = 0
    /// A derived point: the formula over the device's other points (or `device.point` on a
    /// virtual device) it is computed from; nil for a polled point. A derived point is never
    /// polled (its table and address mean nothing) nor writable.
    public var formula: String?
    /// SunSpec scale factor: the id of the point whose value `sf` scales this one
    /// (value × 10^sf + offset, `"scale": "@W_SF"`); nil when `scale` is a number.
    public var scalePoint: String?
    /// Report-by-exception (deadband, min/max report intervals); all zero: every sample reported.
    public var report: ReportFilterSettings
    /// IEC 104: the point's type family, command address and select-before-operate; the
    /// information object address is `objectAddress`. Nil for other protocols.
    public var iec104: IEC104PointSettings? = nil
    /// A derived point's window (`"window"`, `"aggregate"`): published once per window; nil
    /// publishes every result.
    public var window: PointWindow? = nil

    public init(identifier: String, table: RegisterTable, address: UInt16, dataType: PointDataType,
                order: WordOrder = .abcd, scale: Double = 1, offset: Double = 0,
                intervalMilliseconds: UInt32? = nil, writable: Bool = false,
                allowedRange: ClosedRange<Double>? = nil, formula: String? = nil, scalePoint: String? = nil,
                report: ReportFilterSettings = ReportFilterSettings()) {
        self.identifier = identifier
        self.table = table
        self.address = address
        self.dataType = dataType
        self.order = order
        self.scale = scale
        self.offset = offset
        self.intervalMilliseconds = intervalMilliseconds
        self.writable = writable
        self.allowedRange = allowedRange
        self.formula = formula
        self.scalePoint = scalePoint
        self.report = report
    }

    /// A derived point of `formula`, with nothing to poll.
    public static func derived(identifier: String, formula: String,
                               report: ReportFilterSettings = ReportFilterSettings(), window: PointWindow? = nil) -> PointDefinition {
        var point = PointDefinition(identifier: identifier, table: .holdingRegister, address: 0, dataType: .float64,
                                    formula: formula, report: report)
        point.window = window
        return point
    }

    /// True for a derived point (computed from a formula, not polled).
    @inlinable public var isDerived: Bool { formula != nil }

    /// Units (bits or registers) the point occupies in its table.
    @inlinable public var width: UInt16 { table.holdsBits ? 1 : dataType.registerCount }

    /// True when scale and offset leave the raw value unchanged.
    @inlinable public var isUnscaled: Bool { scale == 1 && offset == 0 }
}
