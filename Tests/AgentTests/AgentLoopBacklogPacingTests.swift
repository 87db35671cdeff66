import Agent
import EdgeCore
import FieldBus
import Testing

/// The outage's backlog through the loop: on resume it goes out at `resumeSamplesPerSecond` on the
/// manual clock (whole records: a record beyond the tokens is paid later), while live data recorded
/// meanwhile goes out as it comes; the loop's waits follow the pace instead of spinning.
@Suite struct AgentLoopBacklogPacingTests {
    @Test func theBacklogGoesOutAtTheConfiguredPaceWhileLiveDataGoesAsItComes() throws {
        var h = try LoopHarness(configText: LoopHarness.configText(
            publishing: #"{"batchSamples": 10, "liveIntervalMs": 50, "resumeSamplesPerSecond": 20}"#))
        // The outage: 100 records of 2 samples.
        for i in 0..<100 {
            h.buses[0].deliver(h.sample(0, 0, Double(i)))
            h.buses[0].deliver(h.sample(0, 1, Double(i)))
            _ = h.loop.turn(maximumWaitMilliseconds: 5)
        }
        h.run(until: h.now + 1_000)
        h.connect()
        let start = h.now
        let turnsBefore = h.poller.timeouts.count
        var live = 0
        // Turns may wait up to a second: the loop must wake for the pace (every 20 ms when out of
        // tokens), not only when a turn's maximum wait runs out.
        while h.now < start + 5_000 {
            h.buses[1].deliver(h.sample(1, 0, 1_000 + Double(live)))
            live += 1
            h.run(until: h.now + 1_000)
        }
        let requests = h.loop.uplink.cloud.requests
        let resumed = FakeUplink.samples(requests.filter { $0.kind == .resume })
        let liveSent = FakeUplink.samples(requests.filter { $0.kind == .live })
        // 10 at once (a batch's worth of tokens), then 20 a second for 5 s.
        #expect(resumed.count >= 90 && resumed.count <= 114, "\(resumed.count) backlog samples in 5 s at 20/s")
        #expect(resumed.map { Int($0.3) } == (0..<(resumed.count / 2)).flatMap { [$0, $0] })
        #expect(liveSent.count >= live - 1, "\(liveSent.count) of \(live) live samples sent")
        // Paced, not in bursts at the turns' maximum wait: a record of 2 samples about every 100 ms.
        var resumeTimes: [UInt64] = []
        for (r, at) in zip(requests, h.loop.uplink.requestSentAt) where r.kind == .resume { resumeTimes.append(at) }
        let gaps = zip(resumeTimes.dropFirst(), resumeTimes).map { $0 - $1 }
        #expect((gaps.max() ?? 0) <= 250, "backlog requests \(gaps.max() ?? 0) ms apart")
        let turns = h.poller.timeouts.count - turnsBefore
        #expect(turns < 1_000, "\(turns) loop turns in 5 s of pacing")
    }
}
