import EdgeCore
import Testing
import TestSupport
import RingLogTestSupport
@testable import RingLog

/// After open, the hot paths allocate nothing: append, sync, acknowledge (with checkpoints),
/// read, automatic syncs, and sector rotation with drops.
@Suite struct AllocationTests {
    @Test func appendSyncAcknowledgeAndReadAllocateNothing() throws {
        #expect(AllocationCounter.isActive)
        let clock = ManualClock()
        var options = LogTestSupport.options(checkpointEvery: 4)
        options.writeBufferSize = 4096
        options.syncIntervalMilliseconds = 3
        var log = try LogTestSupport.MemoryLog(device: LogTestSupport.device(sectors: 8, sectorSize: 4096), clock: clock,
                                               options: options)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { payload.deallocate() }
        for i in 0..<512 { payload[i] = UInt8(truncatingIfNeeded: i) }
        let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { readBuffer.deallocate() }
        var cursor = RingLogCursor(from: 1)
        var failures = 0
        var lastError = ""
        // One round wraps the 32 KiB log: rotation, erases, drops and checkpoints included.
        func round() {
            do throws(RingLogError) {
                for i in 0..<200 {
                    clock.advance(milliseconds: 1)
                    try log.append(UnsafeRawBufferPointer(rebasing: payload[0..<(i % 2 == 0 ? 64 : 512)]))
                    if i % 10 == 9 {
                        let durable = try log.sync()
                        while try log.read(&cursor, into: readBuffer) != nil {}
                        if durable > 150 { try log.acknowledge(upTo: durable - 150) }  // lags: drops
                    }
                }
            } catch { failures += 1; lastError = error.message }
        }
        round()  // warm up
        let counted = AllocationCounter.count { round() }
        #expect(failures == 0, "\(lastError)")
        #expect(counted.allocations == 0, "\(counted)")
        #expect(log.statistics().droppedRecords > 0 && log.statistics().erasesSinceOpen > 8)
    }
}
