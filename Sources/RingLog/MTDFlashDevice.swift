import CShim
import EdgeCore

/// A Linux MTD character device (/dev/mtdN) used as flash: geometry from MEMGETINFO (erase
/// block = sector, write size = program unit), erase with MEMERASE, program with pwrite (which
/// the MTD layer makes synchronous), read with pread. A path that is not an MTD device is refused
/// with a clear error. Bad NAND blocks are not handled yet: put the log on NOR or on a partition
/// known to be good (or on UBI with a block device on top).
public struct MTDFlashDevice: FlashDevice, ~Copyable {
    public let name: String
    public let geometry: FlashGeometry
    /// MTD_NORFLASH, MTD_NANDFLASH… as reported by the kernel.
    public let mtdType: UInt32
    let fd: FileDescriptor

    /// Opens an MTD character device read-write and reads its geometry.
    public init(path: String) throws(FlashError) {
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
        name = path
        geometry = g
        mtdType = UInt32(info.type)
        fd = opened
    }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(FlashError) {
        guard offset >= 0, buffer.count <= geometry.size - offset else {
            throw FlashError(device: name, operation: .read, offset: offset, kind: .outOfRange)
        }
        var done = 0
        while done < buffer.count {
            let n: Int
            do throws(Errno) {
                n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: Int64(offset + done))
            } catch {
                throw FlashError(device: name, operation: .read, offset: offset + done, kind: .system(error))
            }
            if n == 0 { throw FlashError(device: name, operation: .read, offset: offset + done, kind: .outOfRange) }
            done += n
        }
    }

    public mutating func program(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(FlashError) {
        guard offset >= 0, bytes.count <= geometry.size - offset, offset % geometry.programUnit == 0 else {
            throw FlashError(device: name, operation: .program, offset: offset, kind: .outOfRange)
        }
        do throws(Errno) { try fd.write(bytes, at: Int64(offset)) } catch {
            throw FlashError(device: name, operation: .program, offset: offset, kind: .system(error))
        }
    }

    public mutating func erase(sector: Int) throws(FlashError) {
        guard sector >= 0, sector < geometry.sectorCount else {
            throw FlashError(device: name, operation: .erase, offset: sector &* geometry.sectorSize, kind: .outOfRange)
        }
        let start = sector * geometry.sectorSize   // below `size`, which came from a UInt32
        if edge_mtd_erase(fd.rawValue, UInt32(truncatingIfNeeded: start), UInt32(truncatingIfNeeded: geometry.sectorSize)) != 0 {
            throw FlashError(device: name, operation: .erase, offset: start, kind: .system(Errno.current))
        }
    }

    /// MTD writes and erases complete before the call returns: nothing to flush.
    public mutating func sync() throws(FlashError) {}
}
