import CShim
import EdgeCore

extension FileFlashDevice {
    /// Opens a Linux MTD character device (/dev/mtdN) read-write as flash: geometry from
    /// MEMGETINFO (erase block = sector, write size = program unit), erase with MEMERASE, program
    /// with pwrite (which the MTD layer makes synchronous), read with pread. A path that is not an
    /// MTD device is refused with a clear error. Bad NAND blocks are not handled yet: put the log
    /// on NOR or on a partition known to be good (or on UBI with a block device on top).
    public init(mtd path: String) throws(FlashError) {
        let opened: FileDescriptor
        do throws(Errno) { opened = try FileDescriptor.open(path, flags: O_RDWR | O_CLOEXEC) } catch {
            throw FlashError(device: path, operation: .open, offset: 0, kind: .system(error))
        }
        var info = edge_mtd_info()
        if edge_mtd_get_info(opened.rawValue, &info) != 0 {
            let err = Errno.current
            throw FlashError(device: path, operation: .open, offset: 0, kind: .wrongDeviceType,
                             detail: "not an MTD character device: MEMGETINFO failed: \(err.message)")
        }
        // MEMGETINFO reports 32-bit sizes: a partition of 2 GiB or more does not fit a 32-bit Int.
        guard let size = Int(exactly: info.size), let eraseSize = Int(exactly: info.erasesize),
              let writeSize = Int(exactly: info.writesize) else {
            throw FlashError(device: path, operation: .open, offset: 0, kind: .wrongGeometry,
                             detail: "MTD size \(info.size), erase size \(info.erasesize) or write size \(info.writesize) is more than this \(Int.bitWidth)-bit platform can address")
        }
        let g = FlashGeometry(size: size, sectorSize: eraseSize, programUnit: max(1, writeSize))
        if let problem = g.problem {
            throw FlashError(device: path, operation: .open, offset: 0, kind: .wrongGeometry, detail: problem)
        }
        self.init(name: path, geometry: g, medium: .mtd(type: UInt32(info.type)), fd: opened)
    }
}
