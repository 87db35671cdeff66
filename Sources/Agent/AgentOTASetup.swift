import BoardConfig
import OTA

/// What the agent knows of its board and build for A/B upgrades: the slots and the bootloader
/// environment (from the board file), the board name and the public key images must be signed
/// with (from the build), and how to reboot into a new slot. Built once at start.
public struct AgentOTASetup: Sendable {
    /// The board name images must carry.
    public var board: String
    public var slots: SlotSet
    /// The smaller slot's size, when the board fixes it (larger orders are refused up front).
    public var slotSize: UInt64?
    public var environment: BootEnvironmentConfig?
    /// DER (or NUL-terminated PEM) public key; empty: no key, every image is refused.
    public var key: [UInt8]
    public var reboot: RebootMethod
    /// The kernel command line naming the booted slot; nil: `BootedSlot.kernelCommandLine()`
    /// ($EDGE_CMDLINE, else /proc/cmdline).
    public var commandLine: String?
    /// Why this board cannot take upgrades (nil: it can): orders are refused with it.
    public var problem: String?

    public init(board: String, slots: SlotSet, slotSize: UInt64?, environment: BootEnvironmentConfig?, key: [UInt8],
                reboot: RebootMethod, commandLine: String? = nil, problem: String? = nil) {
        self.board = board
        self.slots = slots
        self.slotSize = slotSize
        self.environment = environment
        self.key = key
        self.reboot = reboot
        self.commandLine = commandLine
        self.problem = problem
    }

    /// From a board file. Slots and environment copies must be files or block devices (what
    /// `FileSlotDevice`/`FileEnvironmentStorage` write); otherwise `problem` says so.
    public init(board file: Board, imageBoard: String, key: [UInt8], reboot: RebootMethod, commandLine: String? = nil) {
        var problem: String? = nil
        for (letter, slot) in [("a", file.slots.a), ("b", file.slots.b)] where slot.kind != .file && slot.kind != .block {
            problem = "board \(file.name): slot \(letter) is on \(slot.kind.rawValue), which upgrades do not write yet (file or block only)"
        }
        var environment: BootEnvironmentConfig? = nil
        var copies: [BootEnvironmentLocation] = []
        for c in file.bootloaderEnvironment.copies {
            // The board loader refuses values above Int.max; a Board built otherwise gets a problem, not a trap.
            guard let offset = Int64(exactly: c.offset), let size = Int(exactly: c.size), let sectorSize = Int(exactly: c.sectorSize) else {
                problem = problem ?? "board \(file.name): bootloader environment on \(c.device): offset \(c.offset), size \(c.size) or sector size \(c.sectorSize) is more than this \(Int.bitWidth)-bit platform can address"
                continue
            }
            copies.append(BootEnvironmentLocation(device: c.device, offset: offset, size: size, sectorSize: sectorSize))
        }
        do throws(BootEnvironmentError) {
            environment = try BootEnvironmentConfig(copies: copies)
        } catch {
            problem = problem ?? "board \(file.name): bootloader environment: \(error.description)"
        }
        var size: UInt64? = nil
        if let a = file.slots.a.size, let b = file.slots.b.size { size = min(a, b) }
        self.init(board: imageBoard, slots: SlotSet(a: file.slots.a.device, b: file.slots.b.device), slotSize: size,
                  environment: environment, key: key, reboot: reboot, commandLine: commandLine, problem: problem)
    }
}
