import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// The cloud's sub-device notices (`combine.enable/disable/delete`, spec §4.7) are answered 200 on
/// `…_reply` and acted on: disabled, the sub-device is logged out and stays out (also when the
/// agent asks for it again) until enabled; deleted, it is logged out for good, also across a
/// reconnect. A malformed notice gets the decoder's error reply and changes nothing.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayNoticeTests {
    static func notice(_ cloud: CloudHarness, _ kind: String, _ devices: [String], id: String) throws {
        try cloud.command(["cmd": "notice", "notice": kind, "devices": devices, "id": id])
    }

    /// The gateway's reply to notice `id` (call after the gateway ran).
    static func reply(_ cloud: CloudHarness, _ kind: String, id: String) throws -> [String: Any] {
        let reply = try cloud.waitForRecord(["kind": "command_reply", "payload.id": id], timeout: 5)
        #expect((reply["topic"] as? String) == "/ext/session/gwPK/gwDK/combine/\(kind)_reply")
        #expect((reply["problems"] as? [String])?.isEmpty ?? false, "\(reply)")
        return reply["payload"] as? [String: Any] ?? [:]
    }

    static func logins(_ cloud: CloudHarness, of deviceKey: String) throws -> Int {
        try cloud.records(kind: "login").filter { $0["device"] as? String == "sPK/\(deviceKey)" }.count
    }

    @Test func disableLogsOutAndKeepsOutUntilEnabled() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let ok1 = gateway.run(&seen) { $0.loggedIn.count == 3 }
        #expect(ok1)
        try Self.notice(cloud, "disable", ["sPK/s2"], id: "n1")
        let ok2 = gateway.run(&seen) { $0.loggedOut == [1] }
        #expect(ok2, "\(seen.loggedOut)")
        let reply = try Self.reply(cloud, "disable", id: "n1")
        #expect(reply["code"] as? Int == 200)
        #expect((reply["data"] as? [String: Any])?.isEmpty ?? false)
        #expect(seen.notices.map { "\($0.0) \($0.1)" } == ["1 disabled"])
        #expect(try cloud.command(["cmd": "state"])["online"] as? [String] == ["sPK/s1", "sPK/s3"])
        // The field device still answers: the agent wants it, the gateway keeps it out.
        gateway.loginSubDevice(1)
        gateway.run(&seen, seconds: 1.5) { _ in false }   // several login-retry periods (200 ms)
        let ok3 = !gateway.isSubDeviceOnline(1)
        #expect(ok3)
        #expect(try Self.logins(cloud, of: "s2") == 1)
        #expect(try cloud.records(kind: "request").filter { $0["method"] as? String == "combine.login" }.isEmpty)
        // Enabled: logged in again.
        try Self.notice(cloud, "enable", ["sPK/s2"], id: "n2")
        let ok4 = gateway.run(&seen) { $0.loggedIn.count == 4 }
        #expect(ok4)
        #expect(try Self.reply(cloud, "enable", id: "n2")["code"] as? Int == 200)
        let ok5 = gateway.isSubDeviceOnline(1)
        #expect(ok5)
        #expect(seen.notices.map { "\($0.0) \($0.1)" } == ["1 disabled", "1 enabled"])
    }

    @Test func deleteLogsOutForGoodAndIsReportedOnce() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let ok6 = gateway.run(&seen) { $0.loggedIn.count == 3 }
        #expect(ok6)
        try Self.notice(cloud, "delete", ["sPK/s3"], id: "d1")
        let ok7 = gateway.run(&seen) { $0.loggedOut == [2] }
        #expect(ok7)
        #expect(try Self.reply(cloud, "delete", id: "d1")["code"] as? Int == 200)
        // Told again: answered, not reported again.
        try Self.notice(cloud, "delete", ["sPK/s3"], id: "d2")
        gateway.run(&seen, seconds: 0.5) { _ in false }
        #expect(try Self.reply(cloud, "delete", id: "d2")["code"] as? Int == 200)
        #expect(seen.notices.map { "\($0.0) \($0.1)" } == ["2 deleted"])
        // After a reconnect the others log in again, the deleted one is neither added nor logged in.
        let since = try cloud.command(["cmd": "records", "since": 0])["next"] as? Int ?? 0
        try cloud.command(["cmd": "kick"])
        let ok8 = gateway.run(&seen) { $0.connected == 2 && $0.loggedIn.count == 5 }
        #expect(ok8, "\(seen.loggedIn)")
        gateway.run(&seen, seconds: 1) { _ in false }
        let ok9 = !gateway.isSubDeviceOnline(2)
        #expect(ok9)
        let after = try cloud.command(["cmd": "records", "since": since])["records"] as? [[String: Any]] ?? []
        let mentions = after.filter { $0["kind"] as? String == "request" && "\($0["payload"] ?? "")".contains("s3") }
        #expect(mentions.allSatisfy { $0["method"] as? String == "connection.state.post" }, "\(mentions)")
        #expect(seen.loginFailed.isEmpty, "\(seen.loginFailed)")
    }

    @Test func malformedNoticeGetsAnErrorReplyAndChangesNothing() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let ok10 = gateway.run(&seen) { $0.loggedIn.count == 3 }
        #expect(ok10)
        try cloud.command(["cmd": "inject", "method": "combine.disable", "productKey": "gwPK", "deviceKey": "gwDK",
                           "params": [["productKey": "sPK"]], "id": "bad1"])
        gateway.run(&seen, seconds: 0.5) { _ in false }
        let reply = try Self.reply(cloud, "disable", id: "bad1")
        #expect(reply["code"] as? Int == 1220, "\(reply)")
        #expect(seen.notices.isEmpty)
        #expect(seen.loggedOut.isEmpty)
        let ok11 = gateway.onlineSubDeviceCount == 3
        #expect(ok11)
    }
}
