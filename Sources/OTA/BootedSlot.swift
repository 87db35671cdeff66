import CShim
import EdgeCore

/// Which slot is running, and how that was learnt.
public struct BootedSlot: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// `rauc.slot=` or `edge.slot=` on the kernel command line: authoritative.
        case commandLine
        /// Guessed from BOOT_ORDER: for display only (see `detect`).
        case environment
    }
    public var slot: BootSlotName
    public var source: Source

    public init(slot: BootSlotName, source: Source) {
        self.slot = slot
        self.source = source
    }

    /// From kernel command line text (`/proc/cmdline`), when it names the slot.
    public static func fromCommandLine(_ text: String) -> BootedSlot? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            for prefix in ["rauc.slot=", "edge.slot="] where word.hasPrefix(prefix) {
                if let slot = BootSlotName(word.dropFirst(prefix.utf8.count)) { return BootedSlot(slot: slot, source: .commandLine) }
            }
        }
        return nil
    }

    /// The running kernel's command line: `$EDGE_CMDLINE` when set (the qemu boards and the boot
    /// simulator pass it there), else `/proc/cmdline`; nil where there is neither.
    public static func kernelCommandLine() -> String? {
        if let text = getenv("EDGE_CMDLINE") { return String(cString: text) }
        do throws(Errno) { return try readSmallTextFile(path: "/proc/cmdline", limit: 4096) } catch { return nil }
    }

    /// The command line if it names the slot, else a guess from the environment for display:
    /// the first slot in BOOT_ORDER if it has attempts left. The guess is wrong after an
    /// activation that has not been booted yet, so only a `.commandLine` answer may decide what
    /// is written (install, mark-good). nil when neither tells.
    public static func detect<S: EnvironmentStorage>(commandLine: String?, environment: borrowing BootEnvironment<S>) -> BootedSlot? {
        if let commandLine, let found = fromCommandLine(commandLine) { return found }
        guard let first = Bootchooser.order(environment)?.first,
              (Bootchooser.attemptsLeft(environment, first) ?? 0) > 0 else { return nil }
        return BootedSlot(slot: first, source: .environment)
    }
}
