import CShim
import EdgeCore

/// A slot on a file, block device or partition, open for writing. Only `SlotSet.openForInstall`
/// creates one, so the booted slot is never opened for writing. Opening changes nothing on the
/// device: a regular file is truncated and made executable (mode 755: on the qemu boards the
/// slot file is the agent binary) only at the first write, which comes after `SlotInstaller`
/// has made the slot unbootable, so a power cut right after opening leaves the slot intact.
public struct FileSlotDevice: SlotDevice, ~Copyable {
    private let fd: FileDescriptor
    public let slot: BootSlotName
    /// The device's size for block devices (nil for regular files, which grow).
    public let capacity: UInt64?
    private let isRegularFile: Bool
    private var truncated = false

    init(fd: consuming FileDescriptor, slot: BootSlotName, capacity: UInt64?, isRegularFile: Bool) {
        self.fd = fd
        self.slot = slot
        self.capacity = capacity
        self.isRegularFile = isRegularFile
    }

    static func open(_ path: String, slot: BootSlotName) throws(SlotError) -> FileSlotDevice {
        let fd = try openDescriptor(path, slot: slot)
        let st: stat
        do throws(Errno) { st = try fd.status() } catch { throw .device(slot, operation: "fstat", error) }
        let regular = UInt32(st.st_mode) & UInt32(S_IFMT) == UInt32(S_IFREG)
        var capacity: UInt64? = nil
        if !regular {
            // A device whose size cannot be found has no known capacity (the image must fit
            // what the writes reach), as before.
            if let end = try? fd.endOffset(), end > 0 { capacity = UInt64(end) }
        }
        return FileSlotDevice(fd: fd, slot: slot, capacity: capacity, isRegularFile: regular)
    }

    private static func openDescriptor(_ path: String, slot: BootSlotName) throws(SlotError) -> FileDescriptor {
        do throws(Errno) { return try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_CLOEXEC, mode: 0o755) } catch {
            throw .device(slot, operation: "open for writing", error)
        }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) {
        if isRegularFile && !truncated {
            // The old content must not outlive a shorter image.
            try fd.truncate(to: 0)
            try fd.changeMode(to: 0o755)
            truncated = true
        }
        try fd.write(bytes, at: Int64(offset))
    }

    public mutating func synchronize() throws(Errno) {
        try fd.synchronizeData()
    }
}
