import Agent
import EdgeCore
import Testing

/// The gateway's status: posted every `status.intervalMs` on the manual clock (the loop's wait ends
/// at the deadline, not later), only while connected, with a statistics request to every bus.
@Suite struct AgentLoopStatusTests {
    @Test func statusIsPostedEveryIntervalWhileConnected() throws {
        // 2,550 ms: not a multiple of the group commit's 100 ms, whose wake-ups would hide a loop
        // that does not wake for the status deadline.
        var h = try LoopHarness(configText: LoopHarness.configText(statusMs: 2_550))
        h.connect()
        h.run(until: 2_549)
        #expect(h.loop.uplink.statusPostedAt.isEmpty)
        h.run(until: 8_000)
        #expect(h.loop.uplink.statusPostedAt == [2_550, 5_100, 7_650])
        for bus in h.buses { #expect(bus.statisticsRequests == 3) }
    }

    @Test func noStatusIsPostedWhileDisconnectedButTheTimerRuns() throws {
        var h = try LoopHarness(configText: LoopHarness.configText(statusMs: 5_000))
        h.run(until: 12_000)
        #expect(h.loop.uplink.statusPostedAt.isEmpty)
        // Statistics are still asked for at each deadline (the console shows them).
        for bus in h.buses { #expect(bus.statisticsRequests == 2) }
        h.connect()
        h.run(until: 16_000)
        #expect(h.loop.uplink.statusPostedAt == [15_000])
    }

    @Test func statusCountsDevicesOnlineAndSubDevicesLoggedIn() throws {
        var h = try LoopHarness(configText: LoopHarness.configText(statusMs: 5_000))
        h.connect()
        h.buses[0].deliver(.deviceOffline(device: 0, time: h.clock.wallNow(), cause: .timeout, detail: nil))
        h.buses[1].deliver(.deviceOnline(device: 1, time: h.clock.wallNow()))
        h.loop.uplink.events.append(.loggedIn(device: 0))
        h.loop.uplink.events.append(.loginFailed(device: 1, code: 1_000))
        h.run(until: 5_000)
        let s = try #require(h.loop.uplink.postedStatus.first)
        #expect(s.devicesOnline == 1)
        #expect(s.devicesTotal == 2)
        #expect(s.subDevicesLoggedIn == 1)
        #expect(s.subDevicesRefused == 1)
        #expect(s.uptimeSeconds == 5)
    }
}
