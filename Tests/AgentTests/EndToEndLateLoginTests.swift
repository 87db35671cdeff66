import Foundation
import Testing

/// `edge-agent run` against a cloud that answers sub-device logins late (10 s, beyond the reply
/// timeout), on the first connect and again after the cloud drops the connection. The meter is
/// the test slave's counting unit: every poll serves the next count, so any sample stored and
/// never delivered is a gap in the sequence the cloud received. Before the fix the agent declared
/// the uplink ready, skipped the live samples of the sub-devices not yet logged in and
/// acknowledged them in the ring log: stored, then forgotten.
@Suite(.serialized) struct EndToEndLateLoginTests {
    typealias H = EndToEndHarness

    /// The counts of meter1's r0 the cloud accepted (reply 200), live or resumed.
    static func counts(_ entries: [H.Entry]) -> Set<Int> {
        Set(entries.filter { $0.device == "meter1" }.compactMap { ($0.points["r0"] as? NSNumber)?.intValue })
    }

    /// The counts missing from 1...max.
    static func missing(_ counts: Set<Int>) -> [Int] {
        guard let top = counts.max() else { return [] }
        return (1...top).filter { !counts.contains($0) }
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aCloudThatAnswersLoginsLateLosesNoSample() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        var text = try String(contentsOf: h.configFile, encoding: .utf8)
        text = text.replacingOccurrences(of: #""unit": 1,"#, with: #""unit": 5,"#)   // the counting unit
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        _ = try h.cloud(["cmd": "delay_login_replies", "ms": 10_000])
        try h.startAgent()
        func agentLog() -> String { h.agentLogText() }

        // Data flows although no login has been answered yet.
        let flowing = h.waitFor(20) { Self.counts($0).count >= 10 }
        try #require(flowing, "no data from meter1: \(agentLog().suffix(2000))")
        // More data before the kick, still with no login answered (they are 10 s late).
        try h.waitUntil("25 counts of meter1 in the cloud") { Self.counts(h.entries()).count >= 25 }

        // The cloud drops the connection; the logins after the reconnect are late again.
        let beforeKick = h.logMark()
        let kicked = try h.cloud(["cmd": "kick"])
        #expect(kicked["kicked"] as? Int == 1)
        let kickedAt = H.nowMs()
        // The agent reconnects and resumes while its new logins go unanswered: the cloud has them
        // and answers 10 s late, after the agent's reply timeout.
        try h.waitForLog(after: beforeKick, ["uplink ready"], timeout: 20)
        let relogin = try h.waitUntil("logins of both sub-devices after the kick") { () -> Int64? in
            let times = ["subPK/meter1", "subPK/meter2"].map { device in
                h.records(kind: "login").filter { $0["device"] as? String == device }
                    .compactMap { ($0["time"] as? NSNumber)?.int64Value }.filter { $0 > kickedAt }.min()
            }
            return times.contains(nil) ? nil : times.compactMap { $0 }.max()
        }
        let lateRepliesDue = relogin + 10_000

        // Everything the slave served up to now reaches the cloud, with no gap, and so do samples
        // taken after the late replies came.
        let target = (Self.counts(h.entries()).max() ?? 0) + 10
        let complete = h.waitFor(30) { es in
            let c = Self.counts(es)
            return (c.max() ?? 0) >= target && Self.missing(c).isEmpty
                && es.contains { $0.device == "meter1" && $0.time > lateRepliesDue }
        }
        let counts = Self.counts(h.entries())
        #expect(complete, "missing counts \(Self.missing(counts).prefix(50)) of 1...\(counts.max() ?? 0) (kicked at \(kickedAt), late replies due \(lateRepliesDue)); log: \(agentLog().suffix(2000))")
        #expect(counts.contains(1), "the very first sample arrived")
        #expect(h.records(kind: "connect").count >= 2, "the agent reconnected after the kick")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
