import CShim

/// The process's resident memory, from /proc/self/statm (read into a stack buffer: no
/// allocation). 0 where /proc is missing.
public enum ProcessMemory {
    public static func residentKiB() -> UInt64 {
        // A StaticString's bytes are NUL-terminated; passing a String would copy it to the heap.
        let path: StaticString = "/proc/self/statm"
        let fd = path.utf8Start.withMemoryRebound(to: CChar.self, capacity: path.utf8CodeUnitCount + 1) {
            edge_open($0, O_RDONLY | O_CLOEXEC, 0)
        }
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw -> UInt64 in
            let n = read(fd, raw.baseAddress, raw.count)
            guard n > 0 else { return 0 }
            // "size resident shared ...": the second field, in pages.
            var field = 0
            var value: UInt64 = 0
            for i in 0..<n {
                let c = raw[i]
                if c == 32 {
                    field += 1
                    if field == 2 { break }
                    continue
                }
                if field == 1, c >= 48, c <= 57 { value = value * 10 + UInt64(c - 48) }
            }
            let page = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
            return value * page / 1024
        }
    }
}
