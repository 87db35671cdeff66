import EdgeCompute
import Testing

/// Tumbling windows aligned to wall-clock boundaries, driven by explicit time stamps.
@Suite struct WindowAggregatorTests {
    /// A 5-minute boundary (ms since the epoch): 2023-11-14 22:10:00 UTC.
    static let t0: Int64 = 1_699_999_800_000
    static let fiveMinutes: Int64 = 300_000

    static func run(_ op: WindowOperator, _ samples: [(Double, Int64)], bad: Set<Int> = []) -> [WindowResult] {
        var w = WindowAggregator(op, lengthMs: fiveMinutes)
        var out: [WindowResult] = []
        for (i, (v, t)) in samples.enumerated() {
            if let r = w.add(value: v, good: !bad.contains(i), at: t0 + t) { out.append(r) }
        }
        return out
    }

    @Test func windowLengthsParseWithTheirUnits() throws {
        #expect(try WindowLength.milliseconds("5m") == 300_000)
        #expect(try WindowLength.milliseconds("250ms") == 250)
        #expect(try WindowLength.milliseconds("15s") == 15_000)
        #expect(try WindowLength.milliseconds("1h") == 3_600_000)
        #expect(try WindowLength.milliseconds("1d") == 86_400_000)
        #expect(throws: FormulaError(.syntax, column: 2, "window unit \"x\" is none of ms, s, m, h, d")) {
            try WindowLength.milliseconds("5x")
        }
        #expect(throws: FormulaError(.syntax, column: 1, "window \"m\" does not start with a number (e.g. \"5m\")")) {
            try WindowLength.milliseconds("m")
        }
    }

    @Test func windowsAlignToTheWallClockNotToTheFirstSample() {
        let w = WindowAggregator(.last, lengthMs: Self.fiveMinutes)
        #expect(w.windowStart(of: Self.t0 + 123_456) == Self.t0)
        #expect(w.windowStart(of: Self.t0 - 1) == Self.t0 - Self.fiveMinutes)
        #expect(w.windowStart(of: -1) == -Self.fiveMinutes)
        // The samples 1 ms apart across a boundary fall into two windows.
        let r = Self.run(.last, [(1, 299_999), (2, 300_000), (3, 600_000)])
        #expect(r.map(\.start) == [Self.t0, Self.t0 + Self.fiveMinutes])
        #expect(r.map(\.end) == [Self.t0 + Self.fiveMinutes, Self.t0 + 2 * Self.fiveMinutes])
        #expect(r.map(\.value) == [1, 2])
    }

    @Test(arguments: [
        (WindowOperator.average, 3.0), (.minimum, 1), (.maximum, 5), (.sum, 9), (.first, 1), (.last, 3), (.delta(counterBits: 0), 2),
    ])
    func reducesTheWindowsSamples(_ op: WindowOperator, _ expected: Double) {
        let r = Self.run(op, [(1, 10_000), (5, 100_000), (3, 200_000), (100, 300_000)])
        #expect(r.count == 1)
        #expect(r.first?.value == expected)
        #expect(r.first?.samples == 3)
        #expect(r.first?.isGood == true)
    }

    @Test func counterDeltaAndRateCountAWrapAroundAsAStepForward() {
        // A 16-bit counter: 65530 -> 65535 -> 3 -> 10 is 5 + 4 + 7 = 16 counts in 30 s.
        let samples: [(Double, Int64)] = [(65530, 0), (65535, 10_000), (3, 20_000), (10, 30_000), (0, 300_000)]
        #expect(Self.run(.delta(counterBits: 16), samples).first?.value == 16)
        let rate = Self.run(.rate(counterBits: 16), samples).first
        #expect(rate?.isGood == true)
        #expect(abs(rate!.value - 16.0 / 30) < 1e-12)
        // Not a counter: the drop is a drop.
        #expect(Self.run(.delta(counterBits: 0), samples).first?.value == -65520.0)
    }

    @Test func rateNeedsTwoSamplesAtDifferentTimes() {
        let r = Self.run(.rate(counterBits: 32), [(5, 1_000), (9, 300_000)])
        #expect(r.first?.isGood == false)
    }

    @Test func integralIsTrapezoidalAndSplitAtTheBoundary() {
        // v(t) = t seconds: ∫0..300 = 45,000 and ∫300..600 = 135,000, whatever the sample times.
        let r = Self.run(.integral, [(0, 0), (100, 100_000), (200, 200_000), (350, 350_000), (650, 650_000)])
        #expect(r.count == 2)
        #expect(abs(r[0].value - 45_000) < 1e-9)
        #expect(abs(r[1].value - 135_000) < 1e-9)
        // 1 kW for a 5-minute window is 300 kJ (0.0833 kWh).
        let flat = Self.run(.integral, [(1000, 0), (1000, 60_000), (1000, 120_000), (1000, 180_000), (1000, 240_000), (1000, 300_000)])
        #expect(abs(flat[0].value - 300_000) < 1e-9)
    }

    @Test func badSamplesAreSkippedAndCounted() {
        let r = Self.run(.average, [(1, 0), (1000, 1_000), (3, 2_000), (0, 300_000)], bad: [1])
        #expect(r.first?.value == 2)
        #expect(r.first?.samples == 2)
        #expect(r.first?.badSamples == 1)
        let allBad = Self.run(.average, [(1, 0), (2, 1_000), (0, 300_000)], bad: [0, 1])
        #expect(allBad.first?.isGood == false)
        #expect(allBad.first?.badSamples == 2)
    }

    @Test func aSampleOlderThanTheOpenWindowIsCountedBad() {
        var w = WindowAggregator(.sum, lengthMs: Self.fiveMinutes)
        _ = w.add(value: 1, good: true, at: Self.t0 + 300_500)
        #expect(w.add(value: 50, good: true, at: Self.t0 + 1_000) == nil)
        let r = w.add(value: 2, good: true, at: Self.t0 + 600_000)
        #expect(r?.value == 1)
        #expect(r?.badSamples == 1)
    }

    @Test func closeAtEndsAnIdleWindowOnlyOnceItsTimeIsOver() {
        var w = WindowAggregator(.maximum, lengthMs: Self.fiveMinutes)
        _ = w.add(value: 7, good: true, at: Self.t0 + 5_000)
        #expect(w.close(at: Self.t0 + 299_999) == nil)
        let r = w.close(at: Self.t0 + 900_000)
        #expect(r?.value == 7)
        #expect(r?.start == Self.t0)
        #expect(w.close(at: Self.t0 + 1_200_000) == nil)  // nothing open any more
    }
}
