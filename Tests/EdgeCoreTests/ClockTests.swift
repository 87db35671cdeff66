import EdgeCore
import Testing

@Suite struct ClockTests {
    @Test func manualClockMovesOnlyWhenAdvanced() {
        let clock = ManualClock()
        let start = clock.monotonicNow()
        let wall = clock.wallNow()
        #expect(clock.monotonicNow() == start)
        clock.advance(milliseconds: 1500)
        #expect(clock.monotonicNow().nanoseconds(since: start) == 1_500_000_000)
        #expect(clock.wallNow().milliseconds - wall.milliseconds == 1500)
    }

    @Test func wallClockStepDoesNotMoveMonotonicTime() {
        let clock = ManualClock()
        let start = clock.monotonicNow()
        clock.setWall(WallTime(milliseconds: 0))
        #expect(clock.monotonicNow() == start)
        #expect(clock.wallNow().milliseconds == 0)
    }

    @Test func instantArithmeticSaturates() {
        let late = MonotonicInstant(nanoseconds: UInt64.max - 5)
        #expect(late.advanced(byNanoseconds: 10).nanoseconds == UInt64.max)
        #expect(late.advanced(byMilliseconds: UInt64.max).nanoseconds == UInt64.max)
        #expect(MonotonicInstant(nanoseconds: 5).nanoseconds(since: late) == 0)
    }

    @Test func systemMonotonicClockNeverGoesBack() {
        let clock = SystemClock()
        var previous = clock.monotonicNow()
        for _ in 0..<10_000 {
            let now = clock.monotonicNow()
            #expect(now >= previous)
            previous = now
        }
    }
}
