import EdgeCore
import FieldBus
import Configuration
import StoreForward
import CloudLink
import TLS

/// The figures the console shows, copied out of the running agent by the loop
/// (`AgentLoop.fillSnapshot`) on the turns the console needs them: gateway status, ring-log
/// fill, data-path counters, the device table, bus and device statistics, the uplink's
/// connection lines, plus the configuration they are read against. The console reads this and
/// nothing else of the loop (writes and reads of devices go through `AgentCommandPort`).
///
/// Sized from the configuration when made (`AgentLoop.makeSnapshot`); `fillSnapshot` copies
/// element by element into that storage and allocates nothing, as long as no other copy of the
/// snapshot is alive while it is filled (the console's backend lives for one `serve` only).
public struct AgentSnapshot: Sendable {
    /// The field buses, devices and templates the figures are indexed by.
    public let fieldBus: FieldBusConfiguration
    /// The cloud endpoint (`status`).
    public let cloudHost: String
    public let cloudPort: UInt16
    public let cloudUsesTLS: Bool
    /// Whether device writes are read back (`control.readBack`).
    public let readBack: Bool

    /// Fills so far (0: never filled).
    public internal(set) var fills: UInt64 = 0
    /// The gateway's figures at the last fill.
    public internal(set) var status = GatewayStatus()
    /// The ring log's bytes in use and its capacity.
    public internal(set) var ringUsedBytes = 0
    public internal(set) var ringCapacityBytes = 0
    /// The data path's counters, and whether it is sending backlog now.
    public internal(set) var store = StoreAndForwardStats()
    public internal(set) var isResuming = false
    /// Each device online or not, each point's latest sample.
    public internal(set) var devices: DeviceTable
    /// Bus and device statistics, latest good and failed reads.
    public internal(set) var figures: ConsoleFigures
    /// Bus events each bus worker had to drop (its queue to the loop was full).
    public internal(set) var droppedEvents: [UInt64]
    /// The uplink's `mqtt` lines (`AgentUplink.describeConnection`), `connectionCount` bytes.
    var connection: [UInt8]
    public internal(set) var connectionCount = 0
    /// Each point's TSL model verdict (`ModelCheck`; the console's `points` marks refused ones).
    public internal(set) var modelMarks: PointModelMarks
    /// The alarm rules' states and last transitions (`alarms`).
    public internal(set) var alarms: AlarmConsoleTable
    /// The steps of the point the console traces (`PointComputation.trace`).
    public internal(set) var trace = PointTrace()

    /// Room for the uplink's connection lines.
    static var connectionCapacity: Int { 2048 }

    init(_ configuration: AgentConfiguration) {
        fieldBus = configuration.fieldBus
        cloudHost = configuration.cloud.host
        cloudPort = configuration.cloud.port
        cloudUsesTLS = configuration.cloud.tls != nil
        readBack = configuration.control.readBack
        devices = DeviceTable(configuration.fieldBus)
        figures = ConsoleFigures(configuration.fieldBus)
        droppedEvents = [UInt64](repeating: 0, count: configuration.fieldBus.buses.count)
        connection = [UInt8](repeating: 0, count: Self.connectionCapacity)
        modelMarks = PointModelMarks(configuration.fieldBus)
        alarms = AlarmConsoleTable(configuration.alarms.rules)
    }

    /// Rewrites the connection lines in place (nothing allocated).
    mutating func writeConnection(_ body: (inout TextWriter) -> Void) {
        connectionCount = connection.withUnsafeMutableBytes { bytes in
            var w = TextWriter(buffer: bytes)
            body(&w)
            return w.count
        }
    }

    /// Shows the connection lines as of the last fill.
    public func writeConnection(into out: inout TextWriter) {
        connection.withUnsafeBytes { out.write(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<connectionCount])) }
    }
}
