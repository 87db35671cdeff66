import CShim
import EdgeCore

/// A flash device over a file descriptor: a regular file or block device of fixed size (an erase
/// writes 0xFF over the sector, a sync is fdatasync), or a Linux MTD character device (see
/// `init(mtd:)`: the kernel erases, and writes complete before they return). One type for every
/// medium, so the ring log and the `log` command exist once in the firmware, not once per medium.
/// The flash rules are enforced cheaply: a per-sector write watermark refuses any program below
/// the highest byte programmed since the sector's last erase (in this process), and debug builds
/// also check that the target bytes read 0xFF. Opening never changes the contents unless
/// `createOrResize` is asked for.
public struct FileFlashDevice: FlashDevice, ~Copyable {
    /// What the descriptor is open on.
    public enum Medium: Equatable, Sendable {
        /// A regular file or block device.
        case file
        /// An MTD character device; `type` is MTD_NORFLASH, MTD_NANDFLASH… as the kernel reports it.
        case mtd(type: UInt32)
    }

    public let name: String
    public let geometry: FlashGeometry
    public let medium: Medium
    let fd: FileDescriptor
    let watermarks: UnsafeMutableBufferPointer<Int>
    /// 0xFF bytes an erase of a file writes from (empty on MTD, where the kernel erases).
    let erasedChunk: UnsafeMutableRawBufferPointer
    #if DEBUG
    let checkChunk: UnsafeMutableRawBufferPointer
    #endif

    /// Opens `path`, which must be exactly `geometry.size` bytes. With `createOrResize`, a missing
    /// file is created and a file of another size is resized (new bytes read 0xFF only after the
    /// caller erases them, e.g. with `RingLog.format`).
    public init(path: String, geometry: FlashGeometry, createOrResize: Bool = false) throws(FlashError) {
        if let problem = geometry.problem {
            throw FlashError(device: path, operation: .open, offset: 0, kind: .wrongGeometry, detail: problem)
        }
        let flags = O_RDWR | O_CLOEXEC | (createOrResize ? O_CREAT : 0)
        let opened: FileDescriptor
        do throws(Errno) { opened = try FileDescriptor.open(path, flags: flags, mode: 0o644) } catch {
            throw FlashError(device: path, operation: .open, offset: 0, kind: .system(error))
        }
        let end: Int64
        do throws(Errno) { end = try opened.endOffset() } catch {
            throw FlashError(device: path, operation: .open, offset: 0, kind: .system(error), detail: "cannot find the size")
        }
        if Int(end) != geometry.size {
            if !createOrResize {
                throw FlashError(device: path, operation: .open, offset: 0, kind: .wrongGeometry,
                                 detail: "found \(end) bytes, expected \(geometry.size); use format to resize")
            }
            do throws(Errno) { try opened.truncate(to: Int64(geometry.size)) } catch {
                throw FlashError(device: path, operation: .open, offset: 0, kind: .system(error),
                                 detail: "cannot resize from \(end) to \(geometry.size) bytes")
            }
        }
        self.init(name: path, geometry: geometry, medium: .file, fd: opened)
    }

    /// Takes an open descriptor on a checked geometry and allocates the write watermarks (and, for
    /// a file, the erase chunk: resident for the device's lifetime, so at most 16 KiB, not a whole
    /// 64 KiB sector; an erase writes it several times).
    init(name: String, geometry: FlashGeometry, medium: Medium, fd: consuming FileDescriptor) {
        self.name = name
        self.geometry = geometry
        self.medium = medium
        self.fd = fd
        watermarks = UnsafeMutableBufferPointer<Int>.allocate(capacity: geometry.sectorCount)
        for i in 0..<geometry.sectorCount { watermarks.initializeElement(at: i, to: i * geometry.sectorSize) }
        let chunk = min(geometry.sectorSize, 16384)
        erasedChunk = UnsafeMutableRawBufferPointer.allocate(byteCount: medium == .file ? chunk : 0, alignment: 16)
        erasedChunk.initializeMemory(as: UInt8.self, repeating: 0xFF)
        #if DEBUG
        checkChunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        #endif
    }

    deinit {
        watermarks.deallocate()
        erasedChunk.deallocate()
        #if DEBUG
        checkChunk.deallocate()
        #endif
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
            if n == 0 {
                throw FlashError(device: name, operation: .read, offset: offset + done, kind: .outOfRange, detail: "end of file")
            }
            done += n
        }
    }

    public mutating func program(at offset: Int, from bytes: UnsafeRawBufferPointer) throws(FlashError) {
        guard offset >= 0, bytes.count <= geometry.size - offset, offset % geometry.programUnit == 0 else {
            throw FlashError(device: name, operation: .program, offset: offset, kind: .outOfRange)
        }
        guard bytes.count > 0 else { return }
        let first = offset / geometry.sectorSize
        let last = (offset + bytes.count - 1) / geometry.sectorSize
        for s in first...last where offset < watermarks[s] && offset + bytes.count > s * geometry.sectorSize {
            throw FlashError(device: name, operation: .program, offset: offset, kind: .notErased,
                             detail: "sector \(s) already written up to \(watermarks[s])")
        }
        #if DEBUG
        var checked = 0
        while checked < bytes.count {
            let n = min(checkChunk.count, bytes.count - checked)
            let window = UnsafeMutableRawBufferPointer(rebasing: checkChunk[0..<n])
            try read(at: offset + checked, into: window)
            for i in 0..<n where window[i] != 0xFF {
                throw FlashError(device: name, operation: .program, offset: offset + checked + i, kind: .notErased)
            }
            checked += n
        }
        #endif
        do throws(Errno) { try fd.write(bytes, at: Int64(offset)) } catch {
            throw FlashError(device: name, operation: .program, offset: offset, kind: .system(error))
        }
        for s in first...last { watermarks[s] = min(offset + bytes.count, (s + 1) * geometry.sectorSize) }
    }

    public mutating func erase(sector: Int) throws(FlashError) {
        let start = sector &* geometry.sectorSize
        guard sector >= 0, sector < geometry.sectorCount else {
            throw FlashError(device: name, operation: .erase, offset: start, kind: .outOfRange)
        }
        if case .mtd = medium {
            // Below `size`, which came from a UInt32.
            if edge_mtd_erase(fd.rawValue, UInt32(truncatingIfNeeded: start), UInt32(truncatingIfNeeded: geometry.sectorSize)) != 0 {
                throw FlashError(device: name, operation: .erase, offset: start, kind: .system(Errno.current))
            }
        } else {
            var done = 0
            while done < geometry.sectorSize {
                let n = min(erasedChunk.count, geometry.sectorSize - done)
                do throws(Errno) {
                    try fd.write(UnsafeRawBufferPointer(rebasing: erasedChunk[0..<n]), at: Int64(start + done))
                } catch {
                    throw FlashError(device: name, operation: .erase, offset: start + done, kind: .system(error))
                }
                done += n
            }
        }
        watermarks[sector] = start
    }

    /// fdatasync for a file; nothing on MTD, whose writes and erases complete before they return.
    public mutating func sync() throws(FlashError) {
        if case .mtd = medium { return }
        do throws(Errno) { try fd.synchronizeData() } catch {
            throw FlashError(device: name, operation: .sync, offset: 0, kind: .system(error))
        }
    }
}
