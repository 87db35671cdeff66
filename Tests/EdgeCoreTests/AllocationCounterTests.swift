import EdgeCore
import Testing
import TestSupport

/// The harness itself: it must see allocations (or every "0 allocations" test is void) and must
/// see none where there are none.
@Suite struct AllocationCounterTests {
    @Test func counterIsTheProcessAllocator() {
        #expect(AllocationCounter.isActive)
    }

    @Test func countsAnArrayAllocation() {
        let counted = AllocationCounter.count {
            let a = [Int](repeating: 7, count: 1000)
            #expect(a.count == 1000)
        }
        #expect(counted.allocations >= 1)
        #expect(counted.frees >= 1)
        #expect(counted.bytes >= 8000)
    }

    @Test func liveBytesAreWhatTheClosureStillHolds() {
        var kept: [UInt8] = []
        let counted = AllocationCounter.count {
            let freed = [Int](repeating: 7, count: 10_000)
            #expect(freed.count == 10_000)
            kept = [UInt8](repeating: 1, count: 5_000)
        }
        // The kept array's block (its header and malloc's rounding on top), not the freed one.
        #expect(counted.liveBytes >= 5_000 && counted.liveBytes < 5_200, "\(counted)")
        #expect(counted.bytes >= 85_000)
        withExtendedLifetime(kept) {}
    }

    @Test func crcOverACallerBufferAllocatesNothing() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        for i in 0..<4096 { buffer[i] = UInt8(truncatingIfNeeded: i) }
        var sink: UInt32 = 0
        // Warm up (the CRC tables are globals, initialised on first use).
        sink ^= CRC32.checksum(UnsafeRawBufferPointer(buffer))
        sink ^= UInt32(CRC16.checksum(UnsafeRawBufferPointer(buffer)))
        let counted = AllocationCounter.count {
            for _ in 0..<100 {
                sink ^= CRC32.checksum(UnsafeRawBufferPointer(buffer))
                sink ^= UInt32(CRC16.checksum(UnsafeRawBufferPointer(buffer)))
            }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(sink != 0x1234_5678 || true)
    }

    @Test func monotonicClockReadsAllocateNothing() {
        let clock = SystemClock()
        _ = clock.monotonicNow()
        var last = MonotonicInstant(nanoseconds: 0)
        let counted = AllocationCounter.count {
            for _ in 0..<1000 { last = clock.monotonicNow() }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(last.nanoseconds > 0)
    }
}
