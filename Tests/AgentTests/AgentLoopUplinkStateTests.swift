import Agent
import EdgeCore
import FieldBus
import MQTT
import OTA
import Testing

/// The uplink's state in the loop: when it becomes ready the outage's backlog is resumed (said in
/// the log with its size), when it is lost nothing more is sent; a connect counts for the start-up
/// health, a disconnect forgets the sub-device logins; devices going online or offline are passed on.
@Suite struct AgentLoopUplinkStateTests {
    @Test func aReadyUplinkResumesTheBacklogAndALostOneStopsSending() throws {
        var h = try LoopHarness()
        for i in 0..<4 {
            h.buses[0].deliver(h.sample(0, 0, Double(i)))
            h.turn()
        }
        h.run(until: h.now + 1_000)   // the group commit
        #expect(h.loop.uplink.cloud.requests.isEmpty)
        #expect(h.loop.store.liveFrom == nil)
        h.connect()
        h.turn()
        #expect(h.lines.contains { $0.contains("uplink ready: backlog of 4 records to resume") })
        #expect(h.loop.store.liveFrom != nil)
        h.run(until: h.now + 1_000)
        #expect(FakeUplink.samples(h.loop.uplink.cloud.requests.filter { $0.kind == .resume }).map { $0.3 } == [0, 1, 2, 3])
        let sent = h.loop.uplink.cloud.requests.count
        h.loop.uplink.isReady = false
        h.turn()
        #expect(h.loop.store.liveFrom == nil)
        h.loop.uplink.isReady = true   // the window is open, but nobody said the uplink is ready
        h.buses[0].deliver(h.sample(0, 0, 9))
        h.turn()
        h.loop.uplink.isReady = false
        h.run(until: h.now + 1_000)
        #expect(h.loop.uplink.cloud.requests.count <= sent + 1)
    }

    @Test func aConnectCountsForTheHealthCheckAndADisconnectForgetsTheLogins() throws {
        var h = try LoopHarness()
        #expect(!h.loop.health.contains(.uplinkConnected))
        h.connect()
        h.loop.uplink.events.append(.loggedIn(device: 0))
        h.loop.uplink.events.append(.loggedIn(device: 1))
        h.turn()
        #expect(h.loop.health.contains(.uplinkConnected))
        #expect(h.loop.currentStatus().subDevicesLoggedIn == 2)
        h.loop.uplink.events.append(.disconnected(.closed(.pingTimeout), wasConnected: true))
        h.turn()
        #expect(h.loop.currentStatus().subDevicesLoggedIn == 0)
        #expect(h.lines.contains { $0.contains("uplink") && $0.contains("disconnected") })
    }

    @Test func devicesGoingOnlineAndOfflineArePassedToTheUplink() throws {
        var h = try LoopHarness()
        h.buses[1].deliver(.deviceOnline(device: 1, time: h.clock.wallNow()))
        h.turn()
        h.buses[1].deliver(.deviceOffline(device: 1, time: h.clock.wallNow(), cause: .timeout, detail: nil))
        h.turn()
        #expect(h.loop.uplink.onlineWishes.map(\.device) == [1, 1])
        #expect(h.loop.uplink.onlineWishes.map(\.online) == [true, false])
        #expect(h.loop.devices.online == [true, false])
    }
}
