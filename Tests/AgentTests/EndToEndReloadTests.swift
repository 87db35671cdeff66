import Foundation
import Testing

/// `edge-agent run` reloaded (SIGHUP) with a backlog in the ring log and a configuration that
/// removes a device and renumbers the points of the other: the backlog is posted under each
/// sample's own device and point, what has no place any more is dropped and counted (and said),
/// and nothing traps. Before records carried their configuration's layout, the replay indexed
/// the new tables with the old indices: a trap for the removed device, and the counting meter's
/// r0 posted as "limit".
@Suite(.serialized) struct EndToEndReloadTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aReloadThatDropsADeviceAndRenumbersPointsReplaysTheBacklogUnderItsOwnDevicesAndPoints() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200, extra: H.debugLogging)   // debug: the ring log's syncs during the outage
        let original = try String(contentsOf: h.configFile, encoding: .utf8)
            .replacingOccurrences(of: #""unit": 1,"#, with: #""unit": 5,"#)   // meter1: the counting unit
        try original.write(to: h.configFile, atomically: true, encoding: .utf8)
        func agentLog() -> String { h.agentLogText() }
        try h.startAgent()
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(agentLog().suffix(2000))")

        let beforeCut = h.logMark()
        try h.relay("cut")
        try h.waitForLog(after: beforeCut, ["disconnected: "], timeout: 10)   // the agent noticed the cut
        // A backlog of both meters: 15 records kept and not confirmed (both are polled every 200 ms
        // on one bus, 10 records a second).
        try h.waitForSyncWhileDown(after: beforeCut, unconfirmed: 15)
        // m2 removed; meter1's points renumbered (r0 was 0, is 2; limit was 2, is 0; r1 gone, r2 new).
        var next = original.replacingOccurrences(
            of: #"\{"id": "r0",[^}]*\},\s*\{"id": "r1",[^}]*\},\s*(\{"id": "limit",[^}]*\})"#,
            with: #"$1, {"id": "r2", "table": "holding", "address": 2, "type": "uint16"}, {"id": "r0", "table": "holding", "address": 0, "type": "uint16"}"#,
            options: .regularExpression)
        next = next.replacingOccurrences(of: #",\s*\{"name": "m2"[^}]*\}"#, with: "", options: .regularExpression)
        next = next.replacingOccurrences(of: #",\s*\{"device": "m2"[^}]*\}"#, with: "", options: .regularExpression)
        try #require(next.contains(#""id": "r2""#) && !next.contains(#""name": "m2""#) && !next.contains(#""device": "m2""#), "\(next)")
        try next.write(to: h.configFile, atomically: true, encoding: .utf8)
        let pid = try #require(h.agent?.processIdentifier)
        let beforeReload = h.logMark()
        let backlog = h.unconfirmedWhileDown(after: beforeCut) ?? 0
        kill(pid, SIGHUP)
        try h.waitForLog(after: beforeReload, ["configuration reloaded"], timeout: 10)
        // More backlog, under the new configuration: 10 more records kept (meter1 alone now).
        try h.waitForSyncWhileDown(after: beforeReload, unconfirmed: backlog + 10)
        try h.relay("restore")
        let restoreAt = H.nowMs()

        // The whole count sequence arrives (the reload's own moment included), as r0.
        func counts(_ es: [H.Entry]) -> Set<Int> {
            Set(es.filter { $0.device == "meter1" }.compactMap { ($0.points["r0"] as? NSNumber)?.intValue })
        }
        func missing(_ c: Set<Int>) -> [Int] { (1...max(c.max() ?? 1, 1)).filter { !c.contains($0) } }
        let complete = h.waitFor(30) { es in
            es.contains { $0.device == "meter1" && $0.time > restoreAt + 1_000 } && missing(counts(es)).isEmpty
        }
        let entries = h.entries()
        #expect(complete, "missing counts \(missing(counts(entries)).prefix(40)); log: \(agentLog().suffix(2500))")
        #expect(h.agentIsRunning, "the agent died: \(agentLog().suffix(2500))")
        // Nothing misattributed: limit is register 10 (5010), r2 register 2 (5002), always.
        let meter1 = entries.filter { $0.device == "meter1" }
        let limits = Set(meter1.compactMap { ($0.points["limit"] as? NSNumber)?.intValue })
        let r2 = Set(meter1.compactMap { ($0.points["r2"] as? NSNumber)?.intValue })
        #expect(limits == [5010], "limit values \(limits.sorted().prefix(20))")
        #expect(r2 == [5002], "r2 values \(r2.sorted().prefix(20))")
        // meter2's backlog has no device any more: dropped, counted and said.
        #expect(h.waitForLog(10) { $0.contains("stored samples not sent") }, "\(agentLog().suffix(2500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
