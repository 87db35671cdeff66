import Foundation
import Testing

/// Status through `edge-agent run`: a field device that stops answering is logged out and
/// reported disconnected (`connection.state.post`); the gateway posts its own figures (ring-log
/// depth and drops, bus utilization, devices online, uplink, memory, uptime, version, slot) as
/// gateway measurepoints at the status interval.
@Suite(.serialized) struct EndToEndStatusTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func deadDeviceIsLoggedOutAndGatewayPostsItsFigures() throws {
        let h = try H()
        try h.writeConfig(deadDevice: true)
        try h.startAgent()
        let deadline = Date().addingTimeInterval(20)
        var loggedOut = false
        var statePosted = false
        var status: [String: Any]? = nil
        while Date() < deadline && !(loggedOut && statePosted && status != nil) {
            loggedOut = h.records(kind: "logout").contains { $0["device"] as? String == "subPK/meter3" }
            for r in h.records(kind: "request") {
                guard let method = r["method"] as? String, let payload = r["payload"] as? [String: Any],
                      let params = payload["params"] as? [String: Any] else { continue }
                if method == "connection.state.post", params["isFull"] as? Bool == false,
                   let nodes = params["nodes"] as? [[String: Any]],
                   nodes.contains(where: { $0["nodeId"] as? String == "meter3" && $0["state"] as? Int == 2 }) {
                    statePosted = true
                }
                if method == "thing.measurepoint.post", r["topic"] as? String == "/sys/gwPK/gw1/thing/measurepoint/post",
                   r["replyCode"] as? Int == 200 {
                    status = params["measurepoints"] as? [String: Any]
                }
            }
            usleep(200_000)
        }
        #expect(loggedOut, "the dead device's sub-device was not logged out")
        #expect(statePosted, "no connection.state.post with the dead device disconnected")
        let s = try #require(status, "no gateway status measurepoints")
        for key in ["ringLogDepth", "ringLogDrops", "busUtilization", "devicesOnline", "uplinkConnected", "memoryKiB", "uptime",
                    "firmwareVersion", "firmwareSlot", "configVersion", "configHash"] {
            #expect(s[key] != nil, "status lacks \(key): \(s)")
        }
        #expect((s["devicesOnline"] as? NSNumber)?.intValue == 2, "\(s)")
        // The running configuration: unversioned (written by hand), its file's SHA-256.
        #expect(s["configVersion"] as? String == "", "\(s)")
        #expect((s["configHash"] as? String)?.count == 64, "\(s)")
        #expect((s["uplinkConnected"] as? NSNumber)?.intValue == 1)
        #expect(((s["memoryKiB"] as? NSNumber)?.intValue ?? 0) > 100)
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
