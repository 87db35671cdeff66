/// What kind of storage a ring log or slot lives on, which decides how it is opened and erased.
public enum StorageKind: String, Sendable, Equatable, CaseIterable {
    /// A regular file (qemu boards, tests): erase = write 0xFF.
    case file
    /// A block device or partition (eMMC, SD): erase sectors are emulated by writing.
    case block
    /// A raw MTD partition (`/dev/mtdN`, NOR or NAND): erased with MEMERASE in erase blocks.
    case mtd
    /// A UBI volume (`/dev/ubiX_Y`): slots only; written with the UBI volume-update ioctl.
    case ubi
}

/// The partition (or file) that holds the ring log of samples.
public struct RingLogArea: Sendable, Equatable {
    public var device: String
    /// file, block or mtd (not ubi).
    public var kind: StorageKind
    /// Where the ring log starts on the device, in bytes (a multiple of `eraseSize`).
    public var offset: UInt64
    /// Bytes used (a multiple of `eraseSize`, at least two erase units).
    public var size: UInt64
    /// The erase unit (a power of two): the ring log's sector size.
    public var eraseSize: UInt64

    public init(device: String, kind: StorageKind, offset: UInt64, size: UInt64, eraseSize: UInt64) {
        self.device = device
        self.kind = kind
        self.offset = offset
        self.size = size
        self.eraseSize = eraseSize
    }

    /// Number of erase units (ring-log sectors).
    public var sectorCount: UInt64 { size / eraseSize }
}

/// One A/B slot that an OTA image is installed into.
public struct Slot: Sendable, Equatable {
    public var device: String
    public var kind: StorageKind
    /// Usable bytes, if the board fixes it (otherwise the device's size).
    public var size: UInt64?
    /// Erase unit for mtd slots.
    public var eraseSize: UInt64?
    /// The value the bootloader environment uses for this slot (for example U-Boot's
    /// `boot_slot=a`), defaults to the slot's letter.
    public var bootName: String

    public init(device: String, kind: StorageKind, size: UInt64?, eraseSize: UInt64?, bootName: String) {
        self.device = device
        self.kind = kind
        self.size = size
        self.eraseSize = eraseSize
        self.bootName = bootName
    }
}

/// The two OTA slots.
public struct SlotPair: Sendable, Equatable {
    public var a: Slot
    public var b: Slot

    public init(a: Slot, b: Slot) {
        self.a = a
        self.b = b
    }
}
