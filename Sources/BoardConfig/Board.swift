/// One gateway model, as its `Board/<name>/board.json` describes it: the CPU toolchain, the
/// serial ports and their RS-485 settings, the ring-log partition, the A/B slots, the bootloader
/// environment and the console. Produced only by `BoardLoader`, which guarantees that every
/// field was validated (sizes are multiples of erase sizes, names unique, and so on).
///
/// Device paths may contain `${STATE}` (boards that run under qemu-user map all hardware to files
/// and pseudo-terminals under a state directory chosen at run time); `resolvingState(_:)`
/// substitutes it.
public struct Board: Sendable, Equatable {
    /// The board's folder name under `Board/`.
    public var name: String
    public var toolchain: Toolchain
    public var description: String
    public var serialPorts: [SerialPort]
    public var ringLog: RingLogArea
    public var slots: SlotPair
    public var bootloaderEnvironment: BootloaderEnvironment
    public var console: Console

    public init(name: String, toolchain: Toolchain, description: String, serialPorts: [SerialPort],
                ringLog: RingLogArea, slots: SlotPair, bootloaderEnvironment: BootloaderEnvironment, console: Console) {
        self.name = name
        self.toolchain = toolchain
        self.description = description
        self.serialPorts = serialPorts
        self.ringLog = ringLog
        self.slots = slots
        self.bootloaderEnvironment = bootloaderEnvironment
        self.console = console
    }

    /// The serial port with this logical name.
    public func serialPort(named name: String) -> SerialPort? {
        serialPorts.first(where: { $0.name == name })
    }

    /// True if any device path uses `${STATE}`.
    public var usesStateDirectory: Bool {
        devicePaths.contains(where: { $0.utf8.starts(with: BoardPath.stateVariable.utf8) })
    }

    /// Every device path of the board, in file order.
    public var devicePaths: [String] {
        serialPorts.map { $0.device } + [ringLog.device, slots.a.device, slots.b.device]
            + bootloaderEnvironment.copies.map { $0.device } + [console.tty]
    }

    /// The same board with `${STATE}` replaced by `directory` in every device path.
    public func resolvingState(_ directory: String) -> Board {
        var b = self
        func r(_ s: String) -> String { BoardPath.resolve(s, state: directory) }
        for i in b.serialPorts.indices { b.serialPorts[i].device = r(b.serialPorts[i].device) }
        b.ringLog.device = r(b.ringLog.device)
        b.slots.a.device = r(b.slots.a.device)
        b.slots.b.device = r(b.slots.b.device)
        for i in b.bootloaderEnvironment.copies.indices {
            b.bootloaderEnvironment.copies[i].device = r(b.bootloaderEnvironment.copies[i].device)
        }
        b.console.tty = r(b.console.tty)
        return b
    }
}

/// The CPU and C library a board's firmware is built for (a folder under `Toolchain/`).
public enum Toolchain: String, Sendable, Equatable, CaseIterable {
    case aarch64LinuxMusl = "aarch64-linux-musl"
    case armv7LinuxMusleabi = "armv7-linux-musleabi"
    case x86_64LinuxMusl = "x86_64-linux-musl"
}

/// The console the technician's diagnostics shell runs on.
public struct Console: Sendable, Equatable {
    /// A tty device (or `${STATE}/console`, a pseudo-terminal link, on the qemu boards).
    public var tty: String
    /// Line speed; nil leaves the tty as the kernel/bootloader set it.
    public var baud: Int?

    public init(tty: String, baud: Int?) {
        self.tty = tty
        self.baud = baud
    }
}
