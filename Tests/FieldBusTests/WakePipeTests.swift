import CShim
import EdgeCore
@testable import FieldBus
import Synchronization
import Testing

/// The wake-up pipe between the agent and a bus thread: a wake-up that cannot be written is said
/// once, in words (the other side may sleep through it), while a full pipe (EAGAIN) is readable
/// already and counts as woken.
@Suite struct WakePipeTests {
    /// The lines a pipe reported.
    final class Reports: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func add(_ line: String) { lines.withLock { $0.append(line) } }
    }

    @Test func aWakeUpThatCannotBeWrittenIsReturnedAndReportedOnceInWords() throws {
        let reports = Reports()
        let ends = try SystemCall.nonBlockingPipe()
        try SystemCall.close(ends.writeEnd)
        // A write end open for reading only: write(2) fails with EBADF, as on a broken pipe end.
        let readOnly = try FileDescriptor.open("/dev/null", flags: O_RDONLY | O_CLOEXEC)
        let pipe = WakePipe(readEnd: FileDescriptor(owning: ends.readEnd), writeEnd: readOnly, purpose: "bus events",
                            report: { reports.add($0) })
        let first = pipe.signal()
        let second = pipe.signal()
        #expect(first == .badDescriptor)
        #expect(second == .badDescriptor)
        #expect(reports.all == ["bus events pipe: cannot write the wake-up byte (Bad file descriptor): "
                                + "the other side may not wake until its next timeout"])
    }

    @Test func aFullPipeCountsAsWokenAndIsNotReported() throws {
        let reports = Reports()
        let pipe = try WakePipe(purpose: "bus commands", report: { reports.add($0) })
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { chunk.deallocate() }
        chunk.initializeMemory(as: UInt8.self, repeating: 1)
        while try SystemCall.writeIfReady(pipe.writeFD, UnsafeRawBufferPointer(chunk)) != .wouldBlock {}
        let signalledFull = pipe.signal()
        let readableFull = pipe.wait(milliseconds: 0)
        pipe.drain()
        let readableDrained = pipe.wait(milliseconds: 0)
        let signalledEmpty = pipe.signal()
        let readableSignalled = pipe.wait(milliseconds: 0)
        #expect(signalledFull == nil)
        #expect(readableFull)
        #expect(!readableDrained)
        #expect(signalledEmpty == nil)
        #expect(readableSignalled)
        #expect(reports.all.isEmpty)
    }
}
