import EdgeCore
import FieldBus
import CloudLink

/// What the agent's loop keeps for the console beyond `DeviceTable`: the latest statistics of
/// each bus and device (from the snapshots the status timer or the console asks the bus workers
/// for), the time of each device's latest good sample, and the results of the console's own write
/// and commissioning read (until the loop hands them to the console's `AgentCommandPort`).
/// Sized from the configuration at start; `observe` allocates nothing.
public struct ConsoleFigures: Sendable {
    /// Latest statistics of each bus (index as in the configuration).
    public private(set) var buses: [BusStatistics]
    /// Latest figures of each bus's protocol (nil: a protocol without figures, or none yet).
    public private(set) var busProtocols: [ProtocolStatistics?]
    /// Snapshots received per bus (0: none yet).
    public private(set) var busSnapshots: [UInt64]
    /// Monotonic time (ns) of each bus's latest snapshot.
    public private(set) var busSnapshotAt: [UInt64]
    /// Latest transaction statistics of each device.
    public private(set) var devices: [TransactionStatistics]
    /// Wall time (ms) of each device's latest good sample (0: none yet).
    public private(set) var lastGood: [Int64]
    /// Wall time (ms) of each device's latest failed read (0: none yet).
    public private(set) var lastFailure: [Int64]
    /// Failed reads per device since start (samples with a bad quality, counted once per read time).
    public private(set) var failures: [UInt64]
    let deviceBus: [Int]
    var heldBus: BusStatistics? = nil
    var heldProtocol: ProtocolStatistics? = nil
    var heldAt: UInt64 = 0
    var consoleWriteId: UInt32 = 0
    var consoleWriteOutcome: WriteOutcome? = nil
    var registerReadId: UInt32 = 0
    var registerReadOutcome: RegisterReadOutcome? = nil

    public init(_ fieldBus: FieldBusConfiguration) {
        buses = [BusStatistics](repeating: BusStatistics(), count: fieldBus.buses.count)
        busProtocols = [ProtocolStatistics?](repeating: nil, count: fieldBus.buses.count)
        busSnapshots = [UInt64](repeating: 0, count: fieldBus.buses.count)
        busSnapshotAt = [UInt64](repeating: 0, count: fieldBus.buses.count)
        devices = [TransactionStatistics](repeating: TransactionStatistics(), count: fieldBus.devices.count)
        lastGood = [Int64](repeating: 0, count: fieldBus.devices.count)
        lastFailure = [Int64](repeating: 0, count: fieldBus.devices.count)
        failures = [UInt64](repeating: 0, count: fieldBus.devices.count)
        var deviceBus: [Int] = []
        for d in fieldBus.devices { deviceBus.append(d.bus) }
        self.deviceBus = deviceBus
    }

    /// Notes what the console shows of a bus event. Returns true when the event is the result of
    /// a console write (`ConsoleWriteId`): the loop's cloud commands must not see it.
    public mutating func observe(_ event: BusEvent) -> Bool {
        switch event {
        case .sample(let s):
            guard s.device >= 0, s.device < lastGood.count else { return false }
            if s.quality.isGood {
                if s.time.milliseconds > lastGood[s.device] { lastGood[s.device] = s.time.milliseconds }
            } else if s.time.milliseconds != lastFailure[s.device] {
                lastFailure[s.device] = s.time.milliseconds
                failures[s.device] &+= 1
            }
            return false
        case .busStatistics(let stats, let now):
            // The bus is known from the device snapshots that follow it.
            heldBus = stats
            heldAt = now
            heldProtocol = nil
            return false
        case .protocolStatistics(let figures):
            heldProtocol = figures
            return false
        case .deviceStatistics(let device, _, let stats):
            guard device >= 0, device < devices.count else { return false }
            devices[device] = stats
            if let held = heldBus {
                let bus = deviceBus[device]
                buses[bus] = held
                busProtocols[bus] = heldProtocol
                busSnapshots[bus] &+= 1
                busSnapshotAt[bus] = heldAt
                heldBus = nil
            }
            return false
        case .writeCompleted(let id, _, _, let outcome):
            guard ConsoleWriteId.isConsole(id) else { return false }
            consoleWriteId = id
            consoleWriteOutcome = outcome
            return true
        case .registerReadCompleted(let id, _, let outcome):
            // Only the console asks for these.
            registerReadId = id
            registerReadOutcome = outcome
            return true
        case .deviceOnline, .deviceOffline, .readFailure, .traceWords:
            return false
        }
    }

    /// The outcome of commissioning read `id` once it arrived (taken: returned once).
    public mutating func takeRegisterRead(id: UInt32) -> RegisterReadOutcome? {
        guard registerReadId == id, let outcome = registerReadOutcome else { return nil }
        registerReadOutcome = nil
        return outcome
    }

    /// The outcome of console write `id` once it arrived (taken: returned once).
    public mutating func takeConsoleWrite(id: UInt32) -> WriteOutcome? {
        guard consoleWriteId == id, let outcome = consoleWriteOutcome else { return nil }
        consoleWriteOutcome = nil
        return outcome
    }

    /// The id of the console write whose outcome is waiting to be taken, if any.
    public var arrivedConsoleWrite: UInt32? { consoleWriteOutcome == nil ? nil : consoleWriteId }

    /// The id of the commissioning read whose outcome is waiting to be taken, if any.
    public var arrivedRegisterRead: UInt32? { registerReadOutcome == nil ? nil : registerReadId }

    /// Copies the statistics and sample times of `other` (same configuration) element by
    /// element, into this storage: nothing allocated when it is not shared. The outcomes of the
    /// console's writes and reads are not copied (they go through `AgentCommandPort`).
    public mutating func copyFigures(from other: ConsoleFigures) {
        var i = 0
        while i < buses.count && i < other.buses.count {
            buses[i] = other.buses[i]
            busProtocols[i] = other.busProtocols[i]
            busSnapshots[i] = other.busSnapshots[i]
            busSnapshotAt[i] = other.busSnapshotAt[i]
            i += 1
        }
        i = 0
        while i < devices.count && i < other.devices.count {
            devices[i] = other.devices[i]
            lastGood[i] = other.lastGood[i]
            lastFailure[i] = other.lastFailure[i]
            failures[i] = other.failures[i]
            i += 1
        }
    }

    /// Snapshots received over all buses (grows when new statistics arrive).
    public var snapshotCount: UInt64 {
        var n: UInt64 = 0
        for s in busSnapshots { n &+= s }
        return n
    }
}

/// Ids of the console's writes and commissioning reads: the console's half of the control
/// request ids (`ControlRequestId`), so a console result is never taken for a cloud command's and
/// the other way round, whatever the number of commands under way.
public enum ConsoleWriteId {
    public static func make(_ sequence: UInt32) -> UInt32 { ControlRequestId.console(sequence) }
    public static func isConsole(_ id: UInt32) -> Bool { ControlRequestId.isConsole(id) }
}
