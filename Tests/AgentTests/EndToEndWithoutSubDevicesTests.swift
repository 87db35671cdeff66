import Foundation
import Testing

/// `edge-agent run` with field devices that have no cloud identity: the gateway has no
/// sub-devices, connects, polls and posts its own status, and stops cleanly. It used to die of an
/// array-subscript trap in the gateway's login step as soon as the broker accepted it.
@Suite(.serialized) struct EndToEndWithoutSubDevicesTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func gatewayWithoutSubDevicesRunsAndPostsItsStatus() throws {
        let h = try H()
        try h.writeConfig(cloudDevices: false)
        try h.startAgent()
        let deadline = Date().addingTimeInterval(20)
        var statuses = 0
        while Date() < deadline && statuses < 2 && h.agentIsRunning {
            statuses = h.records(kind: "request").filter {
                $0["method"] as? String == "thing.measurepoint.post" && $0["topic"] as? String == "/sys/gwPK/gw1/thing/measurepoint/post"
                    && $0["replyCode"] as? Int == 200
            }.count
            usleep(200_000)
        }
        let log = (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? ""
        #expect(h.agentIsRunning, "the agent stopped: \(log)")
        #expect(statuses >= 2, "gateway status posts answered: \(statuses)")
        #expect(h.records(kind: "login").isEmpty)
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(log)")
    }
}
