import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// The gateway puts its sub-devices into its topology before logging them in, as EnOS requires
/// (the simulator, like the cloud, refuses a login outside the topology with 740): `thing.topo.get`,
/// then a signed `thing.topo.add` of the missing ones; a refused add is reported as that
/// sub-device's login failure and keeps it from logging in, without holding the others back.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayTopologyTests {
    static func methods(_ cloud: CloudHarness) throws -> [(seq: Int, method: String, payload: [String: Any], code: Int)] {
        try cloud.records(kind: "request").map {
            ($0["seq"] as? Int ?? 0, $0["method"] as? String ?? "", $0["payload"] as? [String: Any] ?? [:], $0["replyCode"] as? Int ?? 0)
        }
    }

    static func addedKeys(_ payload: [String: Any]) -> [String] {
        (payload["params"] as? [[String: Any]] ?? []).compactMap { $0["deviceKey"] as? String }
    }

    @Test func topologyIsAddedBeforeTheLogins() throws {
        let cloud = try CloudHarness()
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let done = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 3 }
        #expect(done, "logged in \(seen.loggedIn), failed \(seen.loginFailed)")
        #expect(seen.loginFailed.isEmpty, "\(seen.loginFailed)")
        let requests = try Self.methods(cloud)
        let get = requests.first { $0.method == "thing.topo.get" }
        let adds = requests.filter { $0.method == "thing.topo.add" }
        let firstLogin = requests.first { $0.method.hasPrefix("combine.login") }
        #expect(get != nil && adds.count == 1 && firstLogin != nil, "\(requests.map { $0.method })")
        if let get, let add = adds.first, let firstLogin {
            #expect(get.seq < add.seq && add.seq < firstLogin.seq)
            #expect(add.code == 200)   // the simulator checked each entry's sign with the sub-device's secret
            #expect(Self.addedKeys(add.payload) == ["s1", "s2", "s3"])
        }
        #expect(try cloud.command(["cmd": "topology"])["topology"] as? [String] == ["sPK/s1", "sPK/s2", "sPK/s3"])
        let problems = try cloud.records(kind: "request").filter { !(($0["problems"] as? [String])?.isEmpty ?? false) }
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func onlyTheMissingSubDevicesAreAdded() throws {
        let cloud = try CloudHarness()
        try cloud.command(["cmd": "set_topology", "devices": ["sPK/s1", "sPK/s3"]])
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let done = gateway.run(&seen) { $0.loggedIn.count == 3 }
        #expect(done, "logged in \(seen.loggedIn), failed \(seen.loginFailed)")
        let adds = try Self.methods(cloud).filter { $0.method == "thing.topo.add" }
        #expect(adds.map { Self.addedKeys($0.payload) } == [["s2"]])
    }

    @Test func refusedAddIsReportedAndKeepsOnlyThatSubDeviceOut() throws {
        let cloud = try CloudHarness(simulatorArguments: ["--topo-code", "s3=1255"])
        var gateway = cloud.makeGateway(CloudHarness.configuration())
        var seen = SeenEvents()
        let done = gateway.run(&seen) { $0.loggedIn.count == 2 && !$0.loginFailed.isEmpty }
        #expect(done, "logged in \(seen.loggedIn), failed \(seen.loginFailed)")
        #expect(Set(seen.loggedIn) == [0, 1])
        #expect(seen.loginFailed.first.map { $0.0 == 2 && $0.1 == 1255 } ?? false, "\(seen.loginFailed)")
        // No login was tried for it: the cloud would only answer 740.
        let logins = try Self.methods(cloud).filter { $0.method.hasPrefix("combine.login") }
        #expect(!logins.contains { ($0.payload["params"] as? [String: Any]).map { "\($0)".contains("s3") } ?? false },
                "\(logins.map { $0.payload })")
        let ok1 = !gateway.isSubDeviceOnline(2)
        #expect(ok1)
        // Once the cloud accepts it, the retry adds it and logs it in.
        try cloud.command(["cmd": "set_topo_code", "deviceKey": "s3", "code": NSNull()])
        let later = gateway.run(&seen, seconds: 10) { $0.loggedIn.contains(2) }
        #expect(later)
        #expect(try cloud.command(["cmd": "topology"])["topology"] as? [String] == ["sPK/s1", "sPK/s2", "sPK/s3"])
    }

    @Test func withoutTopologyManagementALoginOutsideTheTopologyGets740() throws {
        let cloud = try CloudHarness()
        try cloud.command(["cmd": "set_topology", "devices": ["sPK/s1", "sPK/s2"]])
        var configuration = CloudHarness.configuration()
        configuration.managesTopology = false
        var gateway = cloud.makeGateway(configuration)
        var seen = SeenEvents()
        let done = gateway.run(&seen) { $0.loggedIn.count == 2 && !$0.loginFailed.isEmpty }
        #expect(done, "logged in \(seen.loggedIn), failed \(seen.loginFailed)")
        #expect(seen.loginFailed.first.map { $0.0 == 2 && $0.1 == 740 } ?? false, "\(seen.loginFailed)")
        let methods = try Self.methods(cloud).map { $0.method }
        #expect(!methods.contains { $0.hasPrefix("thing.topo.") }, "\(methods)")
    }
}
