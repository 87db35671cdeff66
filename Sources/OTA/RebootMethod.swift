import CShim
import EdgeCore

/// How the gateway restarts into a newly activated slot, chosen per board: real boards sync and
/// reboot(2) (the bootloader then reads BOOT_ORDER); the qemu boards run as a process under
/// qemu-user and cannot reboot the machine, so the agent exits with
/// `OTAExitStatus.rebootRequested` and the boot simulator boots again.
public enum RebootMethod: Equatable, Sendable {
    /// Exit the process with `OTAExitStatus.rebootRequested` (qemu boards, tests).
    case exitProcess
    /// sync(2), then reboot(2) with RB_AUTOBOOT (needs CAP_SYS_BOOT).
    case systemReboot

    /// From a board setting: `"exit"` or `"reboot"`.
    public init?(setting: String) {
        switch setting {
        case "exit": self = .exitProcess
        case "reboot": self = .systemReboot
        default: return nil
        }
    }

    /// The board's setting when it has one, else by board: `qemu-*` boards exit, the others
    /// reboot.
    public static func forBoard(_ name: String, setting: String? = nil) -> RebootMethod {
        if let setting, let method = RebootMethod(setting: setting) { return method }
        return name.hasPrefix("qemu-") ? .exitProcess : .systemReboot
    }

    /// The setting's text (`"exit"`, `"reboot"`).
    public var setting: String { self == .exitProcess ? "exit" : "reboot" }

    /// Restarts. Returns only when reboot(2) failed, with its errno (the slot stays activated:
    /// the next reboot, by whatever cause, boots it).
    public func perform() -> Errno {
        switch self {
        case .exitProcess:
            exit(OTAExitStatus.rebootRequested)
        case .systemReboot:
            _ = edge_reboot_system()
            return Errno.current
        }
    }
}
