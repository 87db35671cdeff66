import EdgeCore
import OTA
import Testing

/// The after-update health check against a deadline on a manual clock (no sleeping).
@Suite struct HealthCheckTests {
    @Test func allConditionsBeforeTheDeadlineIsHealthy() {
        let clock = ManualClock()
        var check = HealthCheck(start: clock.monotonicNow(), timeoutMilliseconds: 120_000)
        check.record(.configLoaded)
        check.record(.ringLogOpen)
        clock.advance(milliseconds: 30_000)
        check.record(.uplinkConnected)
        #expect(check.verdict(now: clock.monotonicNow()) == .pending)
        clock.advance(milliseconds: 60_000)
        check.record(.pollSucceeded)
        #expect(check.verdict(now: clock.monotonicNow()) == .healthy)
        clock.advance(milliseconds: 600_000)
        #expect(check.verdict(now: clock.monotonicNow()) == .healthy)   // final
    }

    @Test func aMissedDeadlineNamesWhatWasMissing() {
        let clock = ManualClock()
        var check = HealthCheck(start: clock.monotonicNow(), timeoutMilliseconds: 120_000)
        check.record([.configLoaded, .ringLogOpen, .pollSucceeded])
        clock.advance(milliseconds: 119_999)
        #expect(check.verdict(now: clock.monotonicNow()) == .pending)
        clock.advance(milliseconds: 1)
        let verdict = check.verdict(now: clock.monotonicNow())
        #expect(verdict == .deadlineMissed(missing: .uplinkConnected))
        check.record(.uplinkConnected)                                   // too late
        #expect(check.verdict(now: clock.monotonicNow()) == verdict)
        #expect(HealthCheck.Conditions([.uplinkConnected, .pollSucceeded]).names == "uplink, poll")
    }

    @Test func requiredConditionsCanBeNarrowed() {
        var check = HealthCheck(start: MonotonicInstant(nanoseconds: 0), timeoutMilliseconds: 10, required: [.configLoaded])
        check.record(.configLoaded)
        #expect(check.verdict(now: MonotonicInstant(nanoseconds: 0)) == .healthy)
    }
}
