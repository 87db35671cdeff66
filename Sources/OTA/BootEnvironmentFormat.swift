import EdgeCore

/// How the flags byte of a redundant environment marks the current copy, as libubootenv does:
/// files, block devices, NAND and UBI count up (the higher flags byte wins, 255 → 0 wraps);
/// NOR flash uses 1 = active, 0 = obsolete (the old copy is cleared after the new is written).
public enum BootEnvironmentFlagsKind: Sendable, Equatable {
    case incremental
    case boolean
}

/// The on-disk layout of one U-Boot environment copy, as pure functions over a caller's buffer:
///
///     single:     [CRC-32 LE: 4][data: size-4]
///     redundant:  [CRC-32 LE: 4][flags: 1][data: size-5]
///
/// The CRC-32 (IEEE) covers the whole data area, padding included. The data area holds
/// `name=value` strings, each NUL-terminated, ended by an empty string (a double NUL).
public enum BootEnvironmentFormat {
    public static let singleHeaderSize = 4
    public static let redundantHeaderSize = 5

    /// Bytes before the data area.
    @inlinable public static func headerSize(redundant: Bool) -> Int {
        redundant ? redundantHeaderSize : singleHeaderSize
    }

    /// True when the stored CRC matches the data area.
    public static func crcIsValid(_ copy: UnsafeRawBufferPointer, redundant: Bool) -> Bool {
        let h = headerSize(redundant: redundant)
        guard copy.count > h else { return false }
        let stored = UInt32(copy[0]) | UInt32(copy[1]) << 8 | UInt32(copy[2]) << 16 | UInt32(copy[3]) << 24
        return stored == CRC32.checksum(UnsafeRawBufferPointer(rebasing: copy[h...]))
    }

    /// Writes the CRC (and flags byte when redundant) for the data area already in `copy`.
    public static func seal(_ copy: UnsafeMutableRawBufferPointer, redundant: Bool, flags: UInt8) {
        let h = headerSize(redundant: redundant)
        if redundant { copy[4] = flags }
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: copy[h...]))
        copy[0] = UInt8(truncatingIfNeeded: crc)
        copy[1] = UInt8(truncatingIfNeeded: crc >> 8)
        copy[2] = UInt8(truncatingIfNeeded: crc >> 16)
        copy[3] = UInt8(truncatingIfNeeded: crc >> 24)
    }

    /// Which copy of a redundant environment is current, exactly as libubootenv's
    /// `libuboot_load` decides: the only valid one; with both valid the higher flags byte
    /// (incremental, with the 255 → 0 wrap) or the active one (boolean); nil when neither is valid.
    public static func currentCopy(valid0: Bool, valid1: Bool, flags0: UInt8, flags1: UInt8,
                                   kind: BootEnvironmentFlagsKind) -> Int? {
        switch (valid0, valid1) {
        case (false, false): return nil
        case (true, false): return 0
        case (false, true): return 1
        case (true, true):
            var current = flags1 > flags0 ? 1 : 0
            switch kind {
            case .boolean:
                if flags1 == 0xFF { current = 1 } else if flags0 == 0xFF { current = 0 }
            case .incremental:
                if flags0 == 0xFF && flags1 == 0 { current = 1 } else if flags1 == 0xFF && flags0 == 0 { current = 0 }
            }
            return current
        }
    }

    /// The flags byte for the next write, from the current copy's flags (libubootenv's
    /// `libuboot_env_store`).
    public static func nextFlags(after current: UInt8, kind: BootEnvironmentFlagsKind) -> UInt8 {
        kind == .incremental ? current &+ 1 : 1
    }
}
