import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// A gateway with no sub-devices (devices without a cloud identity, or none at all) connects,
/// announces itself, sends no login and keeps running. It used to trap in `sendLogins` as soon as
/// the broker accepted it: the empty sub-device tables are allocated with one slot, and the login
/// selection scanned that slot as sub-device 0.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayWithoutSubDevicesTests {
    @Test func gatewayWithoutSubDevicesConnectsAndRuns() throws {
        let cloud = try CloudHarness()
        var configuration = CloudHarness.configuration()
        configuration.subDevices = []
        var gateway = cloud.makeGateway(configuration)
        var seen = SeenEvents()
        let connected = gateway.run(&seen) { $0.connected == 1 }
        #expect(connected, "disconnects \(seen.disconnected.map { $0.description })")
        // Past the first rounds of work (where the login went out) and a login retry interval.
        gateway.run(&seen, seconds: 1) { _ in false }
        let connectedNow = gateway.isConnected
        let online = gateway.onlineSubDeviceCount
        let firstOnline = gateway.isSubDeviceOnline(0)
        #expect(connectedNow)
        #expect(online == 0)
        #expect(!firstOnline)
        // The gateway's own requests still go out and are answered.
        guard case .sent(let id) = gateway.informVersion("1.0.1", tag: 42, onEvent: { seen.take($0) }) else {
            Issue.record("informVersion was not sent")
            return
        }
        let answered = gateway.run(&seen) { s in s.replies.contains { $0.id == id } }
        #expect(answered)
        #expect(seen.replies.first { $0.id == id }?.code == 200)
        let methods = try cloud.records(kind: "request").compactMap { $0["method"] as? String }
        #expect(!methods.contains { $0.hasPrefix("combine.login") }, "\(methods)")
        #expect(seen.loggedIn.isEmpty && seen.loginFailed.isEmpty)
    }
}
