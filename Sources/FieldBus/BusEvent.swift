import EdgeCore

/// One decoded point reading: which device (index in the configuration) and point (index in
/// its template), the value, its quality and when it was read. The register words of the one
/// point the console traces travel apart, in `BusEvent.traceWords`, so that no sample carries them.
public struct Sample: Equatable, Sendable {
    public var device: Int
    public var point: Int
    public var value: PointValue
    public var quality: Quality
    public var time: WallTime

    public init(device: Int, point: Int, value: PointValue, quality: Quality, time: WallTime) {
        self.device = device
        self.point = point
        self.value = value
        self.quality = quality
        self.time = time
    }
}

/// A write the cloud or console asked for: `value` (engineering units) to a device's point;
/// `verify` reads the registers back and compares.
public struct WriteCommand: Equatable, Sendable {
    public var id: UInt32
    public var device: Int
    public var point: Int
    public var value: PointValue
    public var verify: Bool

    public init(id: UInt32, device: Int, point: Int, value: PointValue, verify: Bool = false) {
        self.id = id
        self.device = device
        self.point = point
        self.value = value
        self.verify = verify
    }
}

/// How a write ended.
public enum WriteOutcome: Equatable, Sendable {
    case ok
    /// The value could not be encoded for the point (range, type, writability).
    case rejected(EncodeError)
    /// The transaction failed (timeout, exception code, CRC…).
    case failed(ModbusError)
    /// The device is offline; nothing was sent.
    case deviceOffline
    /// No such device on this bus, or no such point.
    case unknownPoint
    /// The read-back after the write returned other registers than written.
    case verificationMismatch
    /// The bus's write queue was full; nothing was sent.
    case queueFull
}

/// What a bus scheduler reports to the rest of the agent.
public enum BusEvent: Equatable, Sendable {
    case sample(Sample)
    /// The register words of the point the console traces (`BusScheduler.watch`), as they came
    /// off the wire, delivered just before the sample decoded from them (same `device`, `point`
    /// and `time`, which pair the two). Only for that one point, after a good read, from a
    /// protocol with registers.
    case traceWords(device: Int, point: Int, time: WallTime, words: RawWords)
    case deviceOnline(device: Int, time: WallTime)
    /// The device stopped answering: `cause` is the failure of the read that took it offline,
    /// `detail` that failure in the protocol's own terms when it has them (a DL/T 645 error, an
    /// IEC 104 link closed by T1...).
    case deviceOffline(device: Int, time: WallTime, cause: ModbusError, detail: FieldFailureDetail?)
    case writeCompleted(id: UInt32, device: Int, point: Int, outcome: WriteOutcome)
    /// The result of a commissioning read (`RegisterReadRequest`).
    case registerReadCompleted(id: UInt32, device: Int, outcome: RegisterReadOutcome)
    /// The bus's statistics, as asked for with `BusWorker.requestStatistics()`; followed by one
    /// `deviceStatistics` per device. `nowNanoseconds` is the monotonic time of the snapshot.
    case busStatistics(BusStatistics, nowNanoseconds: UInt64)
    /// The bus protocol's own figures (an IEC 104 link's), right after `busStatistics` and before
    /// its devices' snapshots, from protocols that have them. A case of its own rather than a
    /// field of `BusStatistics`: every slot of a bus's event queue is as large as the largest
    /// case, and this one is smaller than `busStatistics`.
    case protocolStatistics(ProtocolStatistics)
    case deviceStatistics(device: Int, online: Bool, statistics: TransactionStatistics)
    /// A read of `device` failed for a protocol cause not reported before for that read (a
    /// DL/T 645 error reply, checksum…): said once, for the log.
    case readFailure(device: Int, detail: FieldFailureDetail)
}

/// Receives a scheduler's events as they happen (a queue to another thread, or a test's array).
public protocol BusEventSink {
    mutating func deliver(_ event: BusEvent)
}
