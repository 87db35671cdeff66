import CShim
import EdgeCore
import Synchronization

/// A non-blocking pipe used as a wake-up signal between threads: one side writes a byte, the
/// other watches the read end with poll(2) and drains it. Owns both descriptors.
///
/// A wake-up that cannot be written means the other side may sleep through it (until its
/// timeout, or for good when it waits without one), so it is not ignored: a full pipe (EAGAIN)
/// is readable already and counts as woken; any other failure is said once, in words, through
/// `report` (standard error unless given), and returned by `signal()`.
public struct WakePipe: ~Copyable {
    let readEnd: FileDescriptor
    let writeEnd: FileDescriptor
    /// What the pipe wakes, for the report ("bus events", "bus commands").
    let purpose: String
    let report: @Sendable (String) -> Void
    /// Set by the first failure reported, so that a broken pipe is not reported at every signal.
    let failureReported = Atomic<Bool>(false)

    /// The read end, to watch with poll(2).
    public var readFD: Int32 { readEnd.rawValue }
    /// The write end.
    public var writeFD: Int32 { writeEnd.rawValue }

    /// A new pipe; `purpose` names what it wakes in the failure report, which goes to `report`.
    public init(purpose: String = "wake-up",
                report: @escaping @Sendable (String) -> Void = { StandardOutput.errorLine($0) }) throws(Errno) {
        let ends = try SystemCall.nonBlockingPipe()
        self.init(readEnd: FileDescriptor(owning: ends.readEnd), writeEnd: FileDescriptor(owning: ends.writeEnd),
                  purpose: purpose, report: report)
    }

    /// A pipe over given ends (tests give ends that fail).
    init(readEnd: consuming FileDescriptor, writeEnd: consuming FileDescriptor, purpose: String,
         report: @escaping @Sendable (String) -> Void) {
        self.readEnd = readEnd
        self.writeEnd = writeEnd
        self.purpose = purpose
        self.report = report
    }

    /// Makes the read end readable. nil when it is (a byte written, or the pipe full: readable
    /// already); the error when the byte could not be written (reported once, in words).
    @discardableResult
    public func signal() -> Errno? {
        var byte: UInt8 = 1
        do throws(Errno) {
            // Written, or the pipe is full (`.wouldBlock`): readable either way.
            _ = try withUnsafeBytes(of: &byte) { bytes throws(Errno) in try writeEnd.writeIfReady(bytes) }
            return nil
        } catch {
            if !failureReported.exchange(true, ordering: .relaxed) {
                report(purpose + " pipe: cannot write the wake-up byte (" + error.message
                       + "): the other side may not wake until its next timeout")
            }
            return error
        }
    }

    /// Empties the pipe. A read failure other than "empty" (EAGAIN) is reported once and ends
    /// the drain.
    public func drain() {
        var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        while true {
            do throws(Errno) {
                let result = try withUnsafeMutableBytes(of: &bytes) { buffer throws(Errno) in try readEnd.readIfReady(into: buffer) }
                guard case .processed(let n) = result, n > 0 else { return }
            } catch {
                if !failureReported.exchange(true, ordering: .relaxed) {
                    report(purpose + " pipe: cannot read the wake-up bytes (" + error.message + ")")
                }
                return
            }
        }
    }

    /// Waits until signalled or `milliseconds` pass (-1: forever); true when signalled.
    public func wait(milliseconds: Int32) -> Bool {
        do throws(Errno) {
            return try SystemCall.poll(readFD, events: Int16(POLLIN), timeoutMilliseconds: milliseconds) != 0
        } catch {
            return false   // EINVAL or ENOMEM: waits again at the caller's next turn
        }
    }
}
