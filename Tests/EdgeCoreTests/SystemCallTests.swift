import CShim
import EdgeCore
import Foundation
import Testing
import TestSupport

/// The system-call funnel: each failure comes back as the typed errno the kernel gave, "would
/// block" is a result rather than an error (and allocates nothing), and a poll that times out
/// reports no events.
@Suite struct SystemCallTests {
    @Test func aFailedCallThrowsItsErrno() throws {
        let ends = try SystemCall.nonBlockingPipe()
        try SystemCall.close(ends.readEnd)
        try SystemCall.close(ends.writeEnd)
        var byte: UInt8 = 0
        #expect(throws: Errno.badDescriptor) {
            _ = try withUnsafeMutableBytes(of: &byte) { buffer throws(Errno) in try SystemCall.read(ends.readEnd, into: buffer) }
        }
        #expect(throws: Errno.badDescriptor) { try SystemCall.close(ends.writeEnd) }
    }

    @Test func anEmptyOrFullNonBlockingPipeIsNotReadyRatherThanFailed() throws {
        let ends = try SystemCall.nonBlockingPipe()
        let readEnd = FileDescriptor(owning: ends.readEnd)
        let writeEnd = FileDescriptor(owning: ends.writeEnd)
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 1)
        defer { bytes.deallocate() }
        bytes.initializeMemory(as: UInt8.self, repeating: 7)
        #expect(try readEnd.readIfReady(into: bytes) == .wouldBlock)
        var written = 0
        while case .processed(let n) = try writeEnd.writeIfReady(UnsafeRawBufferPointer(bytes)) { written += n }
        #expect(written > 0)
        #expect(try SystemCall.poll(readEnd.rawValue, events: Int16(POLLIN), timeoutMilliseconds: 0) & Int16(POLLIN) != 0)
    }

    @Test func pollThatTimesOutReportsNoEvents() throws {
        let ends = try SystemCall.nonBlockingPipe()
        let readEnd = FileDescriptor(owning: ends.readEnd)
        let writeEnd = FileDescriptor(owning: ends.writeEnd)
        #expect(try SystemCall.poll(readEnd.rawValue, events: Int16(POLLIN), timeoutMilliseconds: 1) == 0)
        #expect(try SystemCall.poll(-1, events: 0, timeoutMilliseconds: 1) == 0)
        _ = writeEnd
    }

    @Test func fileSizeTruncateAndSyncGoThroughTheDescriptor() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("systemcall-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { unlink(path) }
        let fd = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT | O_CLOEXEC)
        try fd.truncate(to: 8192)
        #expect(try fd.endOffset() == 8192)
        var bytes: (UInt8, UInt8, UInt8) = (1, 2, 3)
        try withUnsafeBytes(of: &bytes) { b throws(Errno) in try fd.write(b, at: 100) }
        try fd.synchronize()
        #expect(try fd.status().st_size == 8192)
        #expect(throws: Errno.noSuchFile) { _ = try FileDescriptor.open(path + ".missing", flags: O_RDONLY) }
    }

    @Test func aDescriptorThatIsNotReadyAllocatesNothing() throws {
        let ends = try SystemCall.nonBlockingPipe()
        let readEnd = FileDescriptor(owning: ends.readEnd)
        let writeEnd = FileDescriptor(owning: ends.writeEnd)
        var bytes: (UInt64, UInt64) = (0, 0)
        var empty = 0
        func readUntilEmpty() {
            do throws(Errno) {
                let result = try withUnsafeMutableBytes(of: &bytes) { buffer throws(Errno) in try readEnd.readIfReady(into: buffer) }
                if result == .wouldBlock { empty += 1 }
            } catch {}
        }
        readUntilEmpty()   // warm-up
        let direct = AllocationCounter.count { readUntilEmpty() }
        let polled = AllocationCounter.count {
            do throws(Errno) { _ = try SystemCall.poll(readEnd.rawValue, events: Int16(POLLIN), timeoutMilliseconds: 0) } catch {}
        }
        #expect(direct.allocations == 0, "\(direct)")
        #expect(polled.allocations == 0, "\(polled)")
        #expect(empty == 2)
        _ = writeEnd
    }
}
