import Agent
import EdgeCore
import FieldBus
import Testing

/// A bus protocol's own figures (an IEC 104 link's frames, values and starts) travel with the
/// bus's statistics: from the connection through `BusScheduler.reportStatistics` as a
/// `BusEvent.busStatistics`, into the loop's `ConsoleFigures` and the copy the console reads.
@Suite struct ConsoleFiguresProtocolStatisticsTests {
    /// A connection that only has figures to report.
    struct FiguresOnly: FieldProtocol {
        var figures: ProtocolStatistics?

        static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan { ReadPlan() }
        mutating func read(_ request: ReadRequest, of device: FieldAddress, scratch: FieldScratch) throws(ModbusError) {}
        func decode(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> PointValue { .uint(0) }
        mutating func write(_ command: WriteCommand, point: PointDefinition, of device: FieldAddress,
                            scratch: FieldScratch) -> FieldWriteResult {
            FieldWriteResult(outcome: .ok, touchedWire: false)
        }
        mutating func readRaw(_ request: RegisterReadRequest, template: DeviceTemplate, of device: FieldAddress,
                              scratch: FieldScratch) -> FieldRawReadResult {
            FieldRawReadResult(outcome: .outOfLimits, touchedWire: false)
        }
        var protocolStatistics: ProtocolStatistics? { figures }
    }

    struct Recorder: BusEventSink {
        var events: [BusEvent] = []
        mutating func deliver(_ event: BusEvent) { events.append(event) }
    }

    static func configuration() throws -> FieldBusConfiguration {
        let text = """
        {"buses": [{"name": "rtu", "type": "tcp", "protocol": "iec104", "host": "127.0.0.1", "port": 2404}],
         "templates": [{"name": "station", "protocol": "iec104", "intervalMs": 1000, "points": [{"id": "p", "ioa": 11, "type": "float"}]}],
         "devices": [{"name": "s47", "template": "station", "bus": "rtu", "commonAddress": 47}]}
        """
        return try FieldBusConfiguration.parse(Array(text.utf8), file: "iec104.json")
    }

    @Test func iec104LinkFiguresSurviveTheTripFromTheSchedulerToTheConsoleFigures() throws {
        var link = IEC104BusStatistics()
        link.link.informationFramesReceived = 41
        link.link.informationFramesSent = 2
        link.link.supervisoryFramesSent = 5
        link.link.testFramesSent = 3
        link.link.pointsDecoded = 117
        link.link.asdusRejected = 1
        link.link.unknownTypes = 4
        link.link.closes = 6
        link.unconfiguredValues = 9
        link.droppedValues = 8
        link.starts = 7
        link.losses = 6
        link.started = true
        let config = try Self.configuration()
        let scheduler = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                         transport: FiguresOnly(figures: .iec104(link)), clock: ManualClock())
        var sink = Recorder()
        scheduler.reportStatistics(sink: &sink)
        // The bus's snapshot, then the protocol's figures, then the device's.
        guard sink.events.count == 3, case .busStatistics = sink.events[0], case .protocolStatistics(let sent) = sink.events[1],
              case .deviceStatistics = sink.events[2] else {
            Issue.record("not bus, protocol, device statistics: \(sink.events)")
            return
        }
        #expect(sent == .iec104(link))

        var loop = ConsoleFigures(config)
        for event in sink.events { _ = loop.observe(event) }
        var console = ConsoleFigures(config)
        console.copyFigures(from: loop)
        #expect(console.busSnapshots[0] == 1)
        #expect(console.busProtocols[0] == .iec104(link))
    }

    @Test func aPolledProtocolReportsNoFiguresOfItsOwn() throws {
        let config = try Self.configuration()
        let scheduler = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                         transport: FiguresOnly(figures: nil), clock: ManualClock())
        var sink = Recorder()
        scheduler.reportStatistics(sink: &sink)
        guard case .busStatistics? = sink.events.first else {
            Issue.record("no bus statistics: \(sink.events)")
            return
        }
        #expect(!sink.events.contains { if case .protocolStatistics = $0 { return true } else { return false } })
    }
}
