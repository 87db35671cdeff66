import Console
import EdgeCore
import FieldBus

/// What the agent's console keeps between loop turns: the command waiting for its answer, the
/// effective configuration's lines (made once at start), a reboot request, and the hooks the OTA
/// code sets for `ota status`, `ota install URL` and `ota mark-good` (without them those
/// commands say OTA is not set up in this run). A class: the console and each turn's backend
/// share it.
public final class AgentConsoleState {
    /// A command answered later (see `AgentConsole.serve`).
    enum Pending {
        /// `read`: the point's next sample after `after` (wall ms).
        case read(device: Int, point: Int, after: Int64)
        /// `write`: the bus worker's result for write `id`.
        case write(id: UInt32, device: Int, point: Int)
        /// `buses` / `devices`: statistics newer than `baseline` snapshots from every bus.
        case statistics(devices: Bool, baseline: UInt64)
    }

    var pending: Pending? = nil
    var pendingDeadline: MonotonicInstant? = nil
    var writeSequence: UInt32 = 0
    var rebootRequested = false
    /// The effective configuration, secrets already masked (`AgentConfiguration.maskedLines`).
    public let configLines: [String]

    /// `ota status`: writes the slots, versions and a running upgrade.
    public var otaStatus: ((inout TextWriter) -> Void)? = nil
    /// `ota install URL`: starts an upgrade (`.done`, or `.pending` with progress as notices).
    public var otaInstall: ((String, inout TextWriter) -> ConsoleReply)? = nil
    /// `ota mark-good`: commits the booted slot.
    public var otaMarkGood: ((inout TextWriter) -> Void)? = nil

    init(configLines: [String]) {
        self.configLines = configLines
    }

    func clearPending() {
        pending = nil
        pendingDeadline = nil
    }
}
