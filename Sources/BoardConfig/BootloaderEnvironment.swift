/// Where U-Boot keeps its environment, as `/etc/fw_env.config` states it: one line per copy with
/// device, offset, size and erase-sector size. With two copies the environment is redundant (each
/// copy carries a flag byte, and writers alternate between them so a power cut never loses both).
public struct BootloaderEnvironment: Sendable, Equatable {
    public var redundant: Bool
    /// One copy, or two when `redundant`.
    public var copies: [Copy]

    public init(redundant: Bool, copies: [Copy]) {
        self.redundant = redundant
        self.copies = copies
    }

    /// One copy of the environment.
    public struct Copy: Sendable, Equatable {
        public var device: String
        public var offset: UInt64
        public var size: UInt64
        /// Erase-sector size (fw_env.config's 4th column): the offset is a multiple of it.
        public var sectorSize: UInt64

        public init(device: String, offset: UInt64, size: UInt64, sectorSize: UInt64) {
            self.device = device
            self.offset = offset
            self.size = size
            self.sectorSize = sectorSize
        }
    }

    /// The text of a matching `fw_env.config` (for Debian's fw_printenv/fw_setenv and for tests):
    /// `device offset size sector-size`, hex.
    public var fwEnvConfig: String {
        var out = "# device offset size sector-size\n"
        for c in copies {
            out += c.device + " " + BoardPath.hex(c.offset) + " " + BoardPath.hex(c.size) + " " + BoardPath.hex(c.sectorSize) + "\n"
        }
        return out
    }
}
