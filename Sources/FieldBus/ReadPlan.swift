/// One read on the wire: `count` units from `address` in `table`, answering the plan's points
/// `firstPoint ..< firstPoint + pointCount`.
public struct ReadRequest: Equatable, Sendable {
    public var table: RegisterTable
    public var address: UInt16
    public var count: UInt16
    public var firstPoint: Int
    public var pointCount: Int
    /// What to ask for in protocols without register tables (the DL/T 645 DI); 0 for Modbus.
    public var objectAddress: UInt32 = 0

    public init(table: RegisterTable, address: UInt16, count: UInt16, firstPoint: Int, pointCount: Int) {
        self.table = table
        self.address = address
        self.count = count
        self.firstPoint = firstPoint
        self.pointCount = pointCount
    }
}

/// A point placed in a request: its index in the template and its offset (registers or bits)
/// from the start of the request's response.
public struct PlannedPoint: Equatable, Sendable {
    public var point: Int
    public var offset: UInt16

    public init(point: Int, offset: UInt16) {
        self.point = point
        self.offset = offset
    }
}

/// The reads that fetch a set of points, and where each point sits in its read's response.
public struct ReadPlan: Equatable, Sendable {
    public var requests: [ReadRequest]
    public var points: [PlannedPoint]

    public init(requests: [ReadRequest] = [], points: [PlannedPoint] = []) {
        self.requests = requests
        self.points = points
    }
}

/// Why a set of points cannot be planned (each names the template's point index).
public enum PlanError: Error, Equatable, Sendable {
    /// The point itself covers an address the device must never be asked for.
    case pointInForbiddenRange(point: Int)
    /// The point alone is wider than one read may be.
    case pointExceedsLimit(point: Int)
    /// The point runs past address 65535.
    case addressOverflow(point: Int)
}
