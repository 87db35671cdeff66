import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// Connecting through the cloud simulator: the signed CONNECT is accepted (a wrong secret gets
/// CONNACK 4), subscriptions, inform and the full connection state go out, sub-devices log in by
/// batch with partial failure (retried), and log out / in one at a time.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayConnectionTests {
    @Test func signedConnectLogsInSubDevicesWithPartialFailure() throws {
        let cloud = try CloudHarness(simulatorArguments: ["--login-code", "s3=723"])
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let done = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 2 && $0.loginFailed.count >= 1 }
        #expect(done, "connected \(seen.connected), logged in \(seen.loggedIn), failed \(seen.loginFailed.map { $0.0 }), disconnects \(seen.disconnected.map { $0.description })")
        #expect(Set(seen.loggedIn) == [0, 1])
        #expect(seen.loginFailed.first?.0 == 2)
        #expect(seen.loginFailed.first?.1 == 723)
        let g1 = gateway.isSubDeviceOnline(0) && gateway.isSubDeviceOnline(1) && !gateway.isSubDeviceOnline(2)
        #expect(g1)
        let state = try cloud.command(["cmd": "state"])
        #expect(state["online"] as? [String] == ["sPK/s1", "sPK/s2"])
        // The simulator checked the sign and the envelopes.
        let connects = try cloud.records(kind: "connect")
        #expect(connects.count == 1)
        let requests = try cloud.records(kind: "request")
        #expect(requests.allSatisfy { ($0["problems"] as? [String])?.isEmpty ?? false }, "\(requests)")
        let methods = requests.compactMap { $0["method"] as? String }
        #expect(methods.contains("ota.device.inform"))
        #expect(methods.contains("connection.state.post"))
        #expect(methods.contains("combine.login.batch"))
        // The failed one is retried (and fails again) after loginRetryMilliseconds.
        let retried = gateway.run(&seen, seconds: 10) { $0.loginFailed.count >= 2 }
        #expect(retried)
        // Once the cloud lets it in, the retry succeeds.
        try cloud.command(["cmd": "set_login_code", "deviceKey": "s3", "code": NSNull()])
        let g2 = gateway.run(&seen, seconds: 10) { $0.loggedIn.contains(2) }
        #expect(g2)
        let g3 = gateway.onlineSubDeviceCount == 3
        #expect(g3)
    }

    @Test func wrongSecretIsRefusedWithConnack4() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration(secret: "not-the-secret"))
        var seen = SeenEvents()
        gateway.run(&seen, seconds: 10) { !$0.disconnected.isEmpty }
        #expect(seen.connected == 0)
        let refused = seen.disconnected.contains { error in
            if case .session(.connectionRefused(.badUsernameOrPassword)) = error { return true }
            return false
        }
        #expect(refused, "\(seen.disconnected.map { $0.description })")
        let record = try cloud.waitForRecord(["kind": "connect_refused"])
        #expect(record["returnCode"] as? Int == 4)
    }

    @Test func logoutAndLoginOfOneSubDevice() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let g4 = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 3 }
        #expect(g4)
        gateway.logoutSubDevice(1)
        let g5 = gateway.run(&seen) { $0.loggedOut == [1] }
        #expect(g5)
        #expect(try cloud.command(["cmd": "state"])["online"] as? [String] == ["sPK/s1", "sPK/s3"])
        gateway.loginSubDevice(1)
        let g6 = gateway.run(&seen) { $0.loggedIn.count == 4 }
        #expect(g6)
        let single = try cloud.records(kind: "request").filter { $0["method"] as? String == "combine.login" }
        #expect(single.count == 1)
        let g7 = gateway.isSubDeviceOnline(1)
        #expect(g7)
    }

    /// A single `combine.login` carries the Java SDK's per-device client id
    /// `{productKey}.{deviceKey}.{timestamp}` (`SubDeviceLoginInfo`), signed as such (the cloud
    /// checks the sign over it), not the gateway's key for every sub-device.
    @Test func singleLoginCarriesThePerDeviceClientIdOfTheSDK() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let up = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 3 }
        #expect(up)
        gateway.logoutSubDevice(1)
        let out = gateway.run(&seen) { $0.loggedOut == [1] }
        #expect(out)
        gateway.loginSubDevice(1)
        let back = gateway.run(&seen) { $0.loggedIn.count == 4 }
        #expect(back, "the cloud refused the sign over the per-device client id")
        let single = try cloud.records(kind: "request").filter { $0["method"] as? String == "combine.login" }
        let params = try #require((single.first?["payload"] as? [String: Any])?["params"] as? [String: Any])
        let timestamp = try #require(params["timestamp"] as? String)
        #expect(params["clientId"] as? String == "sPK.s2.\(timestamp)", "\(params)")
        #expect(single.first?["replyCode"] as? Int == 200)
    }

    @Test func reconnectLogsInAgain() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let g8 = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 3 }
        #expect(g8)
        try cloud.command(["cmd": "kick"])
        let g9 = gateway.run(&seen) { $0.disconnected.count >= 1 }
        #expect(g9)
        let g10 = !gateway.isSubDeviceOnline(0)
        #expect(g10)
        let g11 = gateway.run(&seen) { $0.connected == 2 && $0.loggedIn.count == 6 }
        #expect(g11)
        #expect(try cloud.records(kind: "connect").count == 2)
    }

    @Test func onlineCapRefusesFurtherLogins() throws {
        let cloud = try CloudHarness()
        var configuration = CloudHarness.configuration()
        configuration.maximumOnlineSubDevices = 2
        configuration.loginBatchSize = 1
        var gateway = cloud.makeGateway(configuration)
        var seen = SeenEvents()
        let done = gateway.run(&seen) { $0.loggedIn.count == 2 && !$0.loginFailed.isEmpty }
        #expect(done)
        #expect(seen.loginFailed.first?.0 == 2 && seen.loginFailed.first?.1 == EnOSGatewayEvent.tooManyOnline)
        let online = gateway.onlineSubDeviceCount
        #expect(online == 2)
        // Room again after a logout: the waiting one gets in on its retry.
        gateway.logoutSubDevice(0)
        let after = gateway.run(&seen, seconds: 10) { $0.loggedIn.contains(2) }
        #expect(after)
    }
}
