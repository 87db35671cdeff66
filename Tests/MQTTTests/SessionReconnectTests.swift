import EdgeCore
import MQTT
import Testing

/// Reconnect back-off: exponential growth with jitter, and the EnOS limits hold however the
/// connections end: at least 1 s between attempts, never more than 4 attempts in 2 minutes.
@Suite struct SessionReconnectTests {
    /// Instants (ms) of `count` connection attempts when every connection fails at once, or
    /// (if `connackFirst`) is accepted and then drops immediately.
    static func attempts(count: Int, seed: UInt64, connackFirst: Bool) throws -> [UInt64] {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, seed: seed)
        var times: [UInt64] = []
        var guardSteps = 0
        while times.count < count {
            guardSteps += 1
            if guardSteps > 100_000 { Issue.record("no progress"); break }
            switch session.poll() {
            case .openConnection:
                times.append(clock.monotonicNow().nanoseconds / 1_000_000)
                session.connectionOpened()
                if connackFirst { _ = try SessionHarness.connack(&session) }
                session.connectionClosed()
            case .wait(let until?):
                let now = clock.monotonicNow()
                clock.advance(nanoseconds: max(until.nanoseconds(since: now), 1))
            case .wait(nil), .closeConnection:
                Issue.record("unexpected action")
                return times
            }
        }
        return times
    }

    @Test(arguments: [false, true])
    func attemptsRespectEnOSLimits(connackFirst: Bool) throws {
        for seed in [1, 2, 3, 99] as [UInt64] {
            let times = try Self.attempts(count: 40, seed: seed, connackFirst: connackFirst)
            #expect(times.count == 40)
            #expect(times.first == 0, "first attempt is immediate")
            for i in 1..<times.count {
                #expect(times[i] - times[i - 1] >= 1_000, "attempts \(i - 1),\(i): \(times[i - 1]) \(times[i])")
            }
            for i in 4..<times.count {
                #expect(times[i] - times[i - 4] >= 120_000, "5 attempts within 2 min ending at \(i): \(Array(times[(i - 4)...i]))")
            }
        }
    }

    @Test func backOffGrowsExponentiallyWithJitterUpToTheMaximum() {
        let policy = MQTTReconnectPolicy(initialDelayMilliseconds: 2_000, maximumDelayMilliseconds: 60_000, jitterPercent: 25)
        var random = SplitMix64(seed: 7)
        for (failures, base) in [(1, 2_000), (2, 4_000), (3, 8_000), (4, 16_000), (5, 32_000), (6, 60_000), (20, 60_000)] as [(Int, UInt64)] {
            var seen = Set<UInt64>()
            for _ in 0..<50 {
                let d = policy.delay(afterFailures: failures, random: &random)
                #expect(d >= base - base / 4 && d <= base + base / 4, "failures \(failures): \(d)")
                seen.insert(d)
            }
            #expect(seen.count > 10, "jitter varies the delay")
        }
    }

    @Test func differentSeedsSpreadAFleet() throws {
        let a = try Self.attempts(count: 4, seed: 1, connackFirst: false)
        let b = try Self.attempts(count: 4, seed: 2, connackFirst: false)
        #expect(a[1...] != b[1...])
    }
}
