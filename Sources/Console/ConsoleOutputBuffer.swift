import CShim
import EdgeCore

/// The console's pending output: a fixed byte ring drained into a non-blocking descriptor.
///
/// Guarantees: no allocation after `init`; `append` never blocks and never fails: what does not
/// fit is dropped and counted (`droppedBytes`), so a terminal that stops reading (a serial line
/// with flow control stuck, a closed ssh, a full pipe) can never stall the agent's loop; `drain`
/// writes only what the descriptor takes now.
public struct ConsoleOutputBuffer: ~Copyable {
    private let storage: UnsafeMutableRawBufferPointer
    private var head = 0
    /// Bytes waiting to be written.
    public private(set) var count = 0
    /// Bytes dropped because the ring was full, since creation.
    public private(set) var droppedBytes: UInt64 = 0
    /// Bytes dropped since the last `takeDropReport()`.
    public private(set) var unreportedDrops: UInt64 = 0
    /// Last write error other than "would block" (nil after a successful write).
    public private(set) var lastError: Errno? = nil

    /// A ring of `capacity` bytes (at least 64).
    public init(capacity: Int) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(64, capacity), alignment: 1)
    }

    deinit { storage.deallocate() }

    /// Ring size in bytes.
    public var capacity: Int { storage.count }
    /// Free bytes.
    public var free: Int { storage.count - count }
    public var isEmpty: Bool { count == 0 }

    /// Queues bytes; with `crlf`, each `\n` goes out as `\r\n`. Whatever does not fit is dropped.
    public mutating func append(_ bytes: UnsafeRawBufferPointer, crlf: Bool) {
        for b in bytes {
            if crlf && b == 0x0A {
                // Keep CR LF together: drop both rather than leave a lone CR.
                guard free >= 2 else { drop(1); continue }
                push(0x0D)
            }
            guard free >= 1 else { drop(1); continue }
            push(b)
        }
    }

    /// Queues a static string (see `append(_:crlf:)`).
    public mutating func append(_ text: StaticString, crlf: Bool) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount), crlf: crlf)
    }

    /// Returns the drops not yet reported and forgets them.
    public mutating func takeDropReport() -> UInt64 {
        defer { unreportedDrops = 0 }
        return unreportedDrops
    }

    /// Forgets everything queued (not counted as dropped).
    public mutating func removeAll() {
        head = 0
        count = 0
    }

    /// Writes as much as `descriptor` takes now. Returns false on an error other than "would
    /// block" (EAGAIN/EINTR); the queued bytes are then discarded and counted as dropped, since
    /// a broken terminal will not take them later either.
    public mutating func drain(to descriptor: Int32) -> Bool {
        while count > 0 {
            let contiguous = min(count, storage.count - head)
            let failure: Errno
            do throws(Errno) {
                switch try SystemCall.writeIfReady(descriptor, UnsafeRawBufferPointer(start: storage.baseAddress! + head, count: contiguous)) {
                case .processed(let n) where n > 0:
                    head = (head + n) % storage.count
                    count -= n
                    lastError = nil
                    continue
                case .processed:
                    failure = .ioError   // write(2) took nothing and said nothing
                case .wouldBlock:
                    return true
                }
            } catch {
                failure = error
            }
            lastError = failure
            drop(count)
            head = 0
            count = 0
            return false
        }
        head = 0
        return true
    }

    private mutating func push(_ b: UInt8) {
        storage[(head + count) % storage.count] = b
        count += 1
    }

    private mutating func drop(_ n: Int) {
        droppedBytes &+= UInt64(n)
        unreportedDrops &+= UInt64(n)
    }
}
