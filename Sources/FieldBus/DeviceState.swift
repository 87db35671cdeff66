import EdgeCore

/// The scheduler's view of one device: online or offline, its failure streak, its probe
/// back-off while offline, and its statistics.
public struct DeviceState: Equatable, Sendable {
    /// The device's index in the configuration (what samples and events name).
    public var device: Int
    public var unitId: UInt8
    /// The protocol address beyond the unit id (DL/T 645 meter address; see `FieldAddress`).
    public var station: UInt64 = 0
    public var template: Int
    public var online: Bool = true
    public var consecutiveFailures: UInt32 = 0
    /// Current probe back-off while offline, in milliseconds.
    public var backoffMilliseconds: UInt32 = 0
    public var probeDeadline = MonotonicInstant(nanoseconds: 0)
    /// The device's first scheduled read: what a probe sends.
    public var firstRead: Int = 0
    public var statistics = TransactionStatistics()

    public init(device: Int, unitId: UInt8, template: Int) {
        self.device = device
        self.unitId = unitId
        self.template = template
    }

    /// The device's address as its connection takes it.
    @inlinable public var address: FieldAddress { FieldAddress(unit: unitId, station: station) }
}

/// One planned read of one device, with its poll interval, next deadline and retry count.
public struct ScheduledRead: Equatable, Sendable {
    /// Index into the scheduler's device states.
    public var slot: Int
    public var request: ReadRequest
    public var intervalNanoseconds: UInt64
    public var deadline: MonotonicInstant
    public var attempts: UInt8 = 0
    /// The last protocol cause reported for this read (`BusEvent.readFailure`): a new one is
    /// reported, the same one is not said again.
    public var reportedFailure: FieldFailureDetail? = nil

    public init(slot: Int, request: ReadRequest, intervalNanoseconds: UInt64, deadline: MonotonicInstant) {
        self.slot = slot
        self.request = request
        self.intervalNanoseconds = intervalNanoseconds
        self.deadline = deadline
    }
}
