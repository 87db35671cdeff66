import CShim
import EdgeCore
import EdgeCrypto
import OTA

/// A local image file checked whole before `ota install` writes anything: a file can be read
/// twice at the cost of a flash read, so a technician's install of a file with a bad digest or
/// signature changes neither the environment nor the slot (a download is not read twice: there
/// only a refused header leaves the slot untouched). The install's streaming pass checks
/// everything again, so a file changed in between is still caught.
enum OTAImageFile {
    /// Reads `path` through a `FirmwareImageReader` into a discarding sink, using `buffer` for
    /// the reads; returns the accepted header or the refusal.
    static func verify(_ path: String, policy: borrowing FirmwareImagePolicy, key: borrowing ECDSAPublicKey,
                       buffer: UnsafeMutableRawBufferPointer) throws(SlotError) -> FirmwareImageHeader {
        let fd: FileDescriptor
        do throws(Errno) { fd = try FileDescriptor.open(path, flags: O_RDONLY | O_CLOEXEC) } catch {
            throw .imageFile(operation: "open", error)
        }
        var reader = FirmwareImageReader()
        var sink = DiscardingPayloadSink()
        while true {
            let n: Int
            do throws(Errno) { n = try fd.read(into: buffer) } catch { throw .imageFile(operation: "read", error) }
            if n == 0 { break }
            do throws(FirmwareImageError) {
                try reader.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]), policy: policy, into: &sink)
            } catch { throw .image(error) }
        }
        do throws(FirmwareImageError) { return try reader.finish(key: key) } catch { throw .image(error) }
    }
}
