import Console
import EdgeCore
import FieldBus

/// An `ota …` command typed on the console, for the OTA code to answer (see
/// `AgentConsole.takeOTARequest`).
public enum AgentConsoleOTARequest: Equatable, Sendable {
    case status
    case install(url: String)
    case markGood
}

/// What the agent's console keeps between loop turns: the command waiting for its answer, the
/// effective configuration's lines (made once at start) and a reboot request. A class: the
/// console and each turn's backend share it.
public final class AgentConsoleState {
    /// A command answered later (see `AgentConsole.serve`).
    enum Pending {
        /// `read`: the point's next sample after `after` (wall ms).
        case read(device: Int, point: Int, after: Int64)
        /// `read DEVICE TABLE ADDRESS COUNT`: the bus worker's result for commissioning read `id`.
        case registerRead(id: UInt32, device: Int, table: RegisterTable, address: UInt16)
        /// `write`: the bus worker's result for write `id`.
        case write(id: UInt32, device: Int, point: Int)
        /// `buses` / `devices`: statistics newer than `baseline` snapshots from every bus.
        case statistics(devices: Bool, baseline: UInt64)
        /// `ota …`: answered by the OTA code through `AgentConsole.completeOTA`.
        case ota
        /// `config apply PATH`: answered by the runner through `AgentConsole.completeConfigApply`.
        case configApply
        /// `trace`: the watched point's steps up to entry `seen` are shown.
        case trace(device: Int, point: Int, seen: UInt64)
    }

    var pending: Pending? = nil
    var pendingDeadline: MonotonicInstant? = nil
    var writeSequence: UInt32 = 0
    var rebootRequested = false
    /// True when the OTA code answers `ota …` commands (else they say OTA is not set up).
    var otaAvailable = false
    var otaRequest: AgentConsoleOTARequest? = nil
    /// The bundle `config apply PATH` names, for the runner (`AgentConsole.takeConfigApplyRequest`).
    var configApplyPath: String? = nil
    /// The effective configuration, secrets already masked (`AgentConfiguration.maskedLines`).
    public let configLines: [String]

    init(configLines: [String]) {
        self.configLines = configLines
    }

    func clearPending() {
        pending = nil
        pendingDeadline = nil
        otaRequest = nil
        configApplyPath = nil
    }
}
