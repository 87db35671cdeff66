import CShim
import EdgeCore
import IEC104
import TLS

/// An IEC 60870-5-104 master on one TCP connection, as a `FieldProtocol` (a push protocol: see
/// the FieldBus README). The scheduler's one read per device keeps the link running: it
/// connects and sends STARTDT when the link is down (within T0, then T1), then for up to the
/// bus's response timeout lets the link acknowledge (S frames after w or T2), test (TESTFR after
/// T3) and interrogate (at start and on schedule) while it receives; every value received for a
/// configured (common address, object address) becomes a sample in `IEC104PointTable`, delivered
/// after the read with the device's time stamp and quality. Writes are IEC commands (single,
/// double, short-float set-point), selected first where the point says so. The link's own
/// buffers and the sample ring are allocated in `init`/`attach`; a turn allocates nothing.
public struct IEC104Master: ~Copyable, FieldProtocol {
    let responseTimeoutMilliseconds: UInt64
    var parameters: LinkParameters
    var connection: IEC104Connection
    let table = IEC104PointTable(capacity: 1024)
    /// Why the link went down during the current read (cleared when a read starts): the read's
    /// `failureDetail`, for the log and the console.
    public var lastFailure: IEC104LinkFailure? { connection.lastFailure }
    var commonAddresses: [UInt16] = []
    /// The device of each common address in `commonAddresses`.
    var stationDevices: [Int] = []

    /// `tls`: the link runs over TLS (IEC 62351-3, the bus's `"tls"`); nil: plain TCP.
    public init(host: String, port: UInt16, parameters: LinkParameters, responseTimeoutMilliseconds: UInt32,
                tls: TLSConfiguration? = nil) {
        self.parameters = parameters
        self.responseTimeoutMilliseconds = UInt64(responseTimeoutMilliseconds)
        connection = IEC104Connection(host: host, port: port, parameters: parameters, tls: tls)
    }

    /// The link's counters (frames, acknowledgements, tests, rejected ASDUs, closes).
    public var linkStatistics: LinkStatistics { connection.link.statistics }
    /// Values received for addresses no point names, and values lost to a full sample ring.
    public var unconfiguredValues: UInt64 { table.unconfigured }
    public var droppedValues: UInt64 { table.dropped }

    /// The link's and the master's figures for the console (`buses`).
    public var protocolStatistics: ProtocolStatistics? {
        var figures = IEC104BusStatistics()
        figures.link = linkStatistics
        figures.unconfiguredValues = unconfiguredValues
        figures.droppedValues = droppedValues
        figures.starts = connection.starts
        figures.losses = connection.losses
        figures.started = connection.isStarted
        return .iec104(figures)
    }

    // MARK: FieldProtocol

    /// One read per device, naming no points: its samples come from `deliverReceived`.
    public static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan {
        var plan = ReadPlan()
        if !selection.isEmpty {
            plan.requests.append(ReadRequest(table: .holdingRegister, address: 0, count: 0, firstPoint: 0, pointCount: 0))
        }
        return plan
    }

    public mutating func attach(device: Int, address: FieldAddress, template: DeviceTemplate) {
        let ca = UInt16(truncatingIfNeeded: address.station)
        for i in template.points.indices {
            guard let settings = template.points[i].iec104 else { continue }
            let point = template.points[i]
            table.add(key: IEC104PointTable.key(commonAddress: ca, address: point.objectAddress),
                      target: .init(device: device, point: i, kind: settings.kind, scale: point.scale, offset: point.offset))
        }
        if !commonAddresses.contains(ca) {
            commonAddresses.append(ca)
            stationDevices.append(device)
        }
        // One station: interrogate it; several behind one link: the broadcast address.
        parameters.commonAddress = commonAddresses.count == 1 ? ca : 0xFFFF
        connection.reset(parameters: parameters)
    }

    public mutating func read(_ request: ReadRequest, of device: FieldAddress, scratch: FieldScratch) throws(ModbusError) {
        connection.clearFailure()
        try start()
        try connection.service(untilMilliseconds: responseTimeoutMilliseconds, stopWhenStarted: false, into: table)
    }

    public func decode(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> PointValue {
        .uint(0)
    }

    /// Why the read that just failed took the link down (refused, T0, T1, a protocol error, a
    /// socket failure); nil when the link stayed up.
    public func failureDetail(_ error: ModbusError, of request: ReadRequest, device: FieldAddress) -> FieldFailureDetail? {
        lastFailure.map { .iec104($0) }
    }

    /// The samples received, then a refused clock synchronisation (changes only the table: the
    /// connection calls it on a borrowed master).
    public func deliverReceived<Sink: BusEventSink>(into sink: inout Sink) {
        table.drain(into: &sink)
        // A refused clock synchronisation: said once per cause (the log's warning), as the
        // station's read failure; the link stays up.
        if let refusal = table.clockSyncRefusal {
            table.clockSyncRefusal = nil
            if table.clockSyncRefusalSaid != refusal.causeCode, !stationDevices.isEmpty {
                table.clockSyncRefusalSaid = refusal.causeCode
                let device = commonAddresses.firstIndex(of: refusal.commonAddress).map { stationDevices[$0] } ?? stationDevices[0]
                sink.deliver(.readFailure(device: device, detail: .iec104(.clockSyncRefused(causeCode: refusal.causeCode))))
            }
        }
    }

    /// Clock synchronisations sent, confirmed and refused by the station.
    public var clockSynchronisations: (sent: UInt64, confirmed: UInt64, refused: UInt64) {
        (connection.link.statistics.clockSynchronisationsSent, table.clockSyncsConfirmed, table.clockSyncsRefused)
    }

    public mutating func write(_ command: WriteCommand, point: PointDefinition, of device: FieldAddress,
                               scratch: FieldScratch) -> FieldWriteResult {
        guard point.writable, let settings = point.iec104, settings.kind.isCommandable else {
            return FieldWriteResult(outcome: .rejected(.notWritable), touchedWire: false)
        }
        guard let v = command.value.numeric, v.isFinite else { return FieldWriteResult(outcome: .rejected(.notANumber), touchedWire: false) }
        var raw = v
        if settings.kind == .float {
            if let range = point.allowedRange, !range.contains(v) {
                return FieldWriteResult(outcome: .rejected(.outOfAllowedRange), touchedWire: false)
            }
            raw = (v - point.offset) / point.scale
            guard abs(raw) <= Double(Float.greatestFiniteMagnitude) else {
                return FieldWriteResult(outcome: .rejected(.outOfTypeRange), touchedWire: false)
            }
        } else if settings.kind == .single ? (v != 0 && v != 1) : (v != 1 && v != 2) {
            // A double point takes its DPI values: 1 off, 2 on (as it reports them).
            return FieldWriteResult(outcome: .rejected(.outOfTypeRange), touchedWire: false)
        }
        let ca = UInt16(truncatingIfNeeded: device.station)
        let address = settings.commandAddress ?? point.objectAddress
        do throws(ModbusError) {
            try start()
            if settings.selectBeforeOperate {
                let confirmation = try sendCommand(Self.request(settings.kind, raw, select: true), commonAddress: ca, address: address)
                guard !confirmation.isRefused, confirmation.isSelect else {
                    return FieldWriteResult(outcome: .failed(.exception(confirmation.causeCode)), touchedWire: true)
                }
            }
            let confirmation = try sendCommand(Self.request(settings.kind, raw, select: false), commonAddress: ca, address: address)
            if confirmation.isRefused {
                return FieldWriteResult(outcome: .failed(.exception(confirmation.causeCode)), touchedWire: true)
            }
            return FieldWriteResult(outcome: .ok, touchedWire: true)
        } catch {
            return FieldWriteResult(outcome: .failed(error), wireError: error, touchedWire: true)
        }
    }

    /// Commissioning reads address registers, which an outstation does not have.
    public mutating func readRaw(_ request: RegisterReadRequest, template: DeviceTemplate, of device: FieldAddress,
                                 scratch: FieldScratch) -> FieldRawReadResult {
        FieldRawReadResult(outcome: .outOfLimits, touchedWire: false)
    }

    /// The command for a value of a commandable kind (0/1 for single points, 1 off / 2 on for double ones).
    static func request(_ kind: IEC104PointKind, _ raw: Double, select: Bool) -> ControlRequest {
        switch kind {
        case .single: return .single(raw == 1, select: select)
        case .double: return .double(raw == 2 ? .on : .off, select: select)
        default: return .setpointFloat(Float(raw), select: select)
        }
    }

    // MARK: The link

    /// Sends `request` and waits for its activation confirmation (positive or negative); a full
    /// window waits for the outstation's acknowledgement. T1 bounds both: the link closes then.
    mutating func sendCommand(_ request: ControlRequest, commonAddress: UInt16, address: UInt32) throws(ModbusError) -> ControlResponse {
        table.awaitingKey = IEC104PointTable.key(commonAddress: commonAddress, address: address)
        table.awaitingType = request.type
        table.confirmation = nil
        defer { table.awaitingKey = nil }
        let deadline = edge_monotonic_ns() &+ parameters.t1Milliseconds * 1_000_000
        var sent = false
        while true {
            if !sent {
                do throws(IEC104Error) {
                    try connection.link.send(request, commonAddress: commonAddress, address: address)
                    sent = true
                } catch {
                    if error.kind != .windowFull { throw .invalidRequest }
                }
            }
            if let confirmation = table.confirmation { return confirmation }
            if edge_monotonic_ns() >= deadline { throw .timeout }
            try connection.service(untilMilliseconds: 50, stopWhenStarted: false, returnOnData: true, into: table)
        }
    }

    /// Connects and sends STARTDT when the link is not started (`IEC104Connection.start`).
    mutating func start() throws(ModbusError) {
        try connection.start(into: table)
    }
}
