import EdgeCompute
import Testing

/// Report-by-exception: deadbands, minimum and maximum intervals, quality changes, with explicit
/// time stamps (ms).
@Suite struct ReportFilterTests {
    static func decisions(_ settings: ReportFilterSettings, _ samples: [(Double, Int64, Bool)]) -> [ReportDecision] {
        var f = ReportFilter(settings)
        return samples.map { f.decide(value: $0.0, good: $0.2, at: $0.1) }
    }

    @Test func absoluteDeadbandReportsOnlyChangesBeyondItFromTheLastReportedValue() {
        let d = Self.decisions(ReportFilterSettings(deadband: 0.5),
                               [(230.0, 0, true), (230.3, 1000, true), (230.6, 2000, true), (230.2, 3000, true), (229.9, 4000, true)])
        #expect(d == [.report(.first), .suppress(.deadband), .report(.changed), .suppress(.deadband), .report(.changed)])
    }

    @Test func percentDeadbandScalesWithTheLastReportedValue() {
        let d = Self.decisions(ReportFilterSettings(deadbandPercent: 1),
                               [(200, 0, true), (201.5, 1000, true), (202.5, 2000, true), (204, 3000, true)])
        #expect(d == [.report(.first), .suppress(.deadband), .report(.changed), .suppress(.deadband)])
    }

    @Test func withoutADeadbandEveryChangeIsReportedAndRepeatsAreNot() {
        let d = Self.decisions(ReportFilterSettings(), [(1, 0, true), (1, 10, true), (2, 20, true)])
        #expect(d == [.report(.first), .suppress(.deadband), .report(.changed)])
    }

    @Test func minimumIntervalHoldsBackChangesThatComeTooSoon() {
        let d = Self.decisions(ReportFilterSettings(deadband: 0.1, minReportMs: 1000),
                               [(1, 0, true), (5, 500, true), (6, 1200, true)])
        #expect(d == [.report(.first), .suppress(.minInterval), .report(.changed)])
    }

    @Test func heartbeatReportsTheFreshSampleNotTheOldValue() {
        var f = ReportFilter(ReportFilterSettings(deadband: 0.5, maxReportMs: 10_000))
        #expect(f.decide(value: 230.0, good: true, at: 0) == .report(.first))
        #expect(f.decide(value: 230.1, good: true, at: 3_000) == .suppress(.deadband))
        #expect(f.decide(value: 230.2, good: true, at: 6_000) == .suppress(.deadband))
        // 12 s after the last report: this sample (230.3, now) is reported and becomes the reference.
        #expect(f.decide(value: 230.3, good: true, at: 12_000) == .report(.heartbeat))
        // 230.7 is within 0.5 of 230.3 (the heartbeat's value), though 0.7 away from 230.0.
        #expect(f.decide(value: 230.7, good: true, at: 13_000) == .suppress(.deadband))
    }

    @Test func aQualityChangeIsAlwaysReportedEvenWithinTheMinimumInterval() {
        let d = Self.decisions(ReportFilterSettings(deadband: 1, minReportMs: 1000),
                               [(5, 0, true), (5, 100, false), (5, 200, false), (5, 1500, false), (5, 1600, true)])
        #expect(d == [.report(.first), .report(.qualityChanged), .suppress(.minInterval), .suppress(.badInput),
                      .report(.qualityChanged)])
    }

    @Test func statisticsCountEverySuppressedSample() {
        var f = ReportFilter(ReportFilterSettings(deadband: 1, minReportMs: 100))
        for (v, t, g) in [(1.0, 0, true), (1.5, 200, true), (9.0, 250, true), (9.0, 400, false), (9.0, 600, false)] as [(Double, Int64, Bool)] {
            _ = f.decide(value: v, good: g, at: t)
        }
        var s = ReportFilterStatistics()
        s.reported = 3
        s.suppressedDeadband = 1
        s.suppressedBad = 1
        #expect(f.statistics == s)
    }

    @Test func decisionsHaveReasonsInWords() {
        #expect(ReportDecision.Reason.minInterval.name == "min interval")
        #expect(ReportDecision.Reason.deadband.name == "within the deadband")
        #expect(ReportDecision.Reason.badInput.name == "bad input")
    }
}
