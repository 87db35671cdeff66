import CShim
import EdgeCore

/// Copies on files, block devices or partitions, at the config's offsets, opened for each
/// access as libubootenv does (so two processes never hold stale descriptors). Raw MTD
/// character devices (erase before write) are not handled here.
public struct FileEnvironmentStorage: EnvironmentStorage {
    public let locations: [BootEnvironmentLocation]

    public init(config: BootEnvironmentConfig) { locations = config.copies }

    public mutating func read(copy: Int, into buffer: UnsafeMutableRawBufferPointer) throws(BootEnvironmentError) {
        let location = locations[copy]
        let fd = try Self.open(location.device, flags: O_RDONLY, copy: copy)
        let offset = try resolvedOffset(fd, location, copy: copy)
        var done = 0
        while done < buffer.count {
            let n: Int
            do {
                n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + Int64(done))
            } catch { throw .device(copy: copy, operation: "read", error) }
            if n == 0 { throw .shortRead(copy: copy) }
            done += n
        }
    }

    public mutating func write(copy: Int, _ bytes: UnsafeRawBufferPointer) throws(BootEnvironmentError) {
        let location = locations[copy]
        let fd = try Self.open(location.device, flags: O_RDWR, copy: copy)
        let offset = try resolvedOffset(fd, location, copy: copy)
        do { try fd.write(bytes, at: offset) } catch { throw .device(copy: copy, operation: "write", error) }
        do { try fd.synchronize() } catch { throw .device(copy: copy, operation: "fsync", error) }
    }

    private static func open(_ path: String, flags: Int32, copy: Int) throws(BootEnvironmentError) -> FileDescriptor {
        do throws(Errno) { return try FileDescriptor.open(path, flags: flags) } catch { throw .device(copy: copy, operation: "open", error) }
    }

    private func resolvedOffset(_ fd: borrowing FileDescriptor, _ location: BootEnvironmentLocation, copy: Int) throws(BootEnvironmentError) -> Int64 {
        guard location.offset < 0 else { return location.offset }
        do throws(Errno) { return try fd.endOffset() + location.offset } catch {
            throw .device(copy: copy, operation: "size (negative offset)", error)
        }
    }
}
