import Foundation
import Testing

/// `edge-agent run` with a sub-device whose login the cloud refuses (742, a wrong secret): the
/// refusal is logged once with its meaning and the cloud's message, the login is retried with a growing delay instead of
/// every second, the console's status counts it, and the device's samples still reach the cloud
/// (requests allow offline sub-devices). Before: a warning with a bare code every second, for
/// ever, and the samples skipped.
@Suite(.serialized) struct EndToEndRefusedLoginTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aRefusedLoginIsSaidOnceRetriedWithBackoffAndItsSamplesStillArrive() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        _ = try h.cloud(["cmd": "set_login_code", "deviceKey": "meter2", "code": 742])
        try h.startAgent()
        func agentLog() -> String { h.agentLogText() }
        let start = H.nowMs()
        let both = h.waitFor(20) { es in Set(es.map(\.device)).isSuperset(of: ["meter1", "meter2"]) }
        #expect(both, "meter2's samples did not arrive: \(agentLog().suffix(2000))")
        func attempts() -> [[String: Any]] {
            h.records(kind: "request").filter { r in
                guard let method = r["method"] as? String, method.hasPrefix("combine.login") else { return false }
                return String(describing: r["payload"] ?? "").contains("meter2")
            }
        }
        // The refusal said and retried once...
        try h.waitUntil("the refusal of meter2's login said and a second attempt") {
            agentLog().contains("sub-device m2 login failed") && attempts().count >= 2
        }
        // ...then the rest of 8 s from the start, on purpose: the span the attempts are counted
        // over (a retry every second makes 8 in it).
        usleep(UInt32(max(0, 8_000 - (H.nowMs() - start))) * 1000)
        let attempts = attempts()
        // Retries after 1, 2, 4 s...: at most 4 attempts in 8 s (every second: 8).
        #expect(attempts.count >= 2 && attempts.count <= 4, "\(attempts.count) login attempts of meter2 in 8 s")
        let log = agentLog()
        let said = log.components(separatedBy: "\n").filter { $0.contains("sub-device m2 login failed") }
        #expect(said.count == 1, "\(said)")
        #expect(said.first?.contains("742") == true && said.first?.contains("sign check failed") == true, "\(said)")
        #expect(said.first?.contains("the cloud says: \"") == true && said.first?.contains("simulated login error 742") == true, "\(said)")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
