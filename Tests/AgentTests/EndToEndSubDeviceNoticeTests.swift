import Foundation
import Testing

/// `edge-agent run` against the simulator, which (like EnOS) starts with an empty topology and
/// refuses logins outside it: the agent adds its sub-devices first (`cloud.manageTopology`,
/// default on), or with it off the refusal (740) is logged in words. The cloud's
/// `combine.disable` / `combine.delete` notices are answered 200 and said once in the log; the
/// disabled device's samples keep arriving.
@Suite(.serialized) struct EndToEndSubDeviceNoticeTests {
    typealias H = EndToEndHarness

    static func agentLog(_ h: H) -> String { String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self) }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func theAgentAddsItsTopologyAndActsOnNotices() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        try h.startAgent()
        let both = h.waitFor(20) { es in Set(es.map(\.device)).isSuperset(of: ["meter1", "meter2"]) }
        #expect(both, "\(Self.agentLog(h).suffix(2000))")
        let topology = try h.cloud(["cmd": "topology"])["topology"] as? [String]
        #expect(topology == ["subPK/meter1", "subPK/meter2"])
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "login", "device": "subPK/meter2"], "timeout": 10])
        _ = try h.cloud(["cmd": "notice", "notice": "disable", "devices": ["subPK/meter2"], "id": "n1"])
        let reply = try h.cloud(["cmd": "wait", "match": ["kind": "command_reply", "payload.id": "n1"], "timeout": 10])
        #expect(((reply["record"] as? [String: Any])?["payload"] as? [String: Any])?["code"] as? Int == 200)
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "logout", "device": "subPK/meter2"], "timeout": 10])
        // Its samples still arrive after the logout.
        let after = H.nowMs() + 500
        let still = h.waitFor(10) { es in es.contains { $0.device == "meter2" && $0.time > after } }
        #expect(still)
        _ = try h.cloud(["cmd": "notice", "notice": "delete", "devices": ["subPK/meter1"], "id": "n2"])
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "command_reply", "payload.id": "n2"], "timeout": 10])
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "logout", "device": "subPK/meter1"], "timeout": 10])
        #expect(h.waitForLog(10) { $0.contains("sub-device m1 deleted in the cloud") }, "\(Self.agentLog(h).suffix(2000))")
        let lines = Self.agentLog(h).components(separatedBy: "\n")
        #expect(lines.filter { $0.contains("sub-device m2 disabled in the cloud") }.count == 1, "\(lines.suffix(30))")
        #expect(lines.filter { $0.contains("sub-device m1 deleted in the cloud") }.count == 1, "\(lines.suffix(30))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func withTopologyManagementOffALoginOutsideTheTopologyIsRefusedWith740() throws {
        let h = try H()
        _ = try h.cloud(["cmd": "set_topology", "devices": ["subPK/meter1"]])
        try h.writeConfig(intervalMs: 200)
        var text = try String(contentsOf: h.configFile, encoding: .utf8)
        text = text.replacingOccurrences(of: #""cloud": {"#, with: #""cloud": {"manageTopology": false, "#)
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent()
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "login", "device": "subPK/meter1"], "timeout": 20])
        var said: [String] = []
        let deadline = Date().addingTimeInterval(15)
        while said.isEmpty && Date() < deadline {
            said = Self.agentLog(h).components(separatedBy: "\n").filter { $0.contains("sub-device m2 login failed") }
            usleep(100_000)
        }
        #expect(said.count == 1 && said.first?.contains("code 740") == true, "\(said)")
        let methods = h.records(kind: "request").compactMap { $0["method"] as? String }
        #expect(!methods.contains { $0.hasPrefix("thing.topo.") })
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
