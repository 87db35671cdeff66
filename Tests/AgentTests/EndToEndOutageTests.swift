import Foundation
import Testing

/// `edge-agent run` against a pymodbus slave, mosquitto and the EnOS cloud simulator, with the
/// line to the cloud cut for seconds: the outage's samples arrive on resume.batch in time order
/// per device while live data keeps going on post.batch; a SIGKILL during the outage and one
/// during the replay lose nothing that was synced (only the moments the agent was dead are
/// missing); SIGTERM exits 0; SIGHUP with a bad file keeps the agent running as it was.
@Suite(.serialized) struct EndToEndOutageTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func outageAndKillsLoseNothingSyncedAndReplayInOrder() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200, extra: H.debugLogging)   // debug: the ring log's syncs during the outage
        // Small batches, slow replay: the replay lasts long enough to be killed in the middle.
        var text = try String(contentsOf: h.configFile, encoding: .utf8)
        text = text.replacingOccurrences(of: #""resumeSamplesPerSecond": 3000"#, with: #""resumeSamplesPerSecond": 60, "batchSamples": 30"#)
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent()
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(h.agentLogText().suffix(2000))")
        let firstTime = h.entries().map(\.time).min() ?? 0
        // A second of live data from both meters before the cut.
        let liveSecond = h.waitFor(20) { es in
            ["meter1", "meter2"].allSatisfy { d in es.contains { $0.device == d && $0.method.hasSuffix("post.batch") && $0.time >= firstTime + 1_000 } }
        }
        try #require(liveSecond, "live data stopped before the cut")

        let beforeCut = h.logMark()
        try h.relay("cut")
        let cutAt = H.nowMs()
        try h.waitForLog(after: beforeCut, ["disconnected: "], timeout: 10)   // the agent noticed the cut
        // The outage's length, on purpose (no assertion depends on what happens within it): its
        // samples are taken during it, and `synced1` below says which of them must survive.
        usleep(2_000_000)
        // Everything sampled before `synced1` is in the ring log once a sync after it is seen.
        let synced1 = H.nowMs()
        try h.waitForSyncWhileDown(after: h.logMark())
        h.stopAgent(signal: SIGKILL)                      // killed during the outage
        let kill1 = H.nowMs()
        let beforeStart1 = h.logMark()
        try h.startAgent()
        let start1 = H.nowMs()
        // The restarted agent samples during the outage too: its first records synced, then 6
        // more (more than a round of both meters, polled in turn every 200 ms), so its first
        // sample of each meter is no later than `online1`.
        try h.waitForSyncWhileDown(after: beforeStart1)
        let recovered = h.unconfirmedWhileDown(after: beforeStart1) ?? 0
        let online1 = try h.waitForSyncWhileDown(after: beforeStart1, unconfirmed: recovered + 6)
        try h.relay("restore")
        let restoreAt = H.nowMs()
        // The replay of the outage has begun: resume entries that arrived after the restore (the
        // first start may resume a few samples taken before its login; those do not count).
        let replaying = h.waitFor(15) { $0.contains { $0.method.hasSuffix("resume.batch") && $0.arrival > restoreAt } }
        #expect(replaying)
        // Everything sampled before `synced2` has reached the cloud once live samples of both
        // meters taken after it have (live goes out in order; what was sent is in the cloud).
        let synced2 = H.nowMs()
        try h.waitUntil("live samples of both meters taken after \(synced2)") {
            let es = h.entries()
            return ["meter1", "meter2"].allSatisfy { d in es.contains { $0.device == d && $0.method.hasSuffix("post.batch") && $0.time > synced2 } }
        }
        h.stopAgent(signal: SIGKILL)                      // killed during the replay
        let kill2 = H.nowMs()
        try h.startAgent()
        let start2 = H.nowMs()
        // The restarted agent's first samples of both meters are no later than `online2`.
        let online2 = try h.waitUntil("samples of both meters taken after the second kill") {
            let es = h.entries()
            return ["meter1", "meter2"].allSatisfy { d in es.contains { $0.device == d && $0.time > kill2 } }
        }
        let end = start2 + 4_000

        // Everything up to `end` arrives, except what was never sampled: the agent's dead times,
        // from the last sample it had synced (at most a poll interval before `synced`: gaps are
        // those over 1 s) to the restarted agent's first (before `online`).
        func unexplainedGaps(_ es: [H.Entry]) -> [(String, Int64, Int64)] {
            var out: [(String, Int64, Int64)] = []
            for device in ["meter1", "meter2"] {
                for (a, b) in H.gaps(es, device: device, longerThan: 1_000, from: firstTime, to: end) {
                    let deadWindow = (a >= synced1 - 1_000 && b <= online1) || (a >= synced2 - 1_000 && b <= online2)
                    if !deadWindow { out.append((device, a, b)) }
                }
            }
            return out
        }
        let complete = h.waitFor(30) { es in
            ["meter1", "meter2"].allSatisfy { d in es.contains { $0.device == d && $0.time >= end } } && unexplainedGaps(es).isEmpty
        }
        let entries = h.entries()
        #expect(complete, "gaps: \(unexplainedGaps(entries)) cut \(cutAt) synced1 \(synced1) kill1 \(kill1) start1 \(start1) online1 \(online1) restore \(restoreAt) synced2 \(synced2) kill2 \(kill2) start2 \(start2) online2 \(online2); log: \(h.agentLogText().suffix(2000))")

        // The outage's samples came on resume.batch, in time order per device within each replay.
        let outage = entries.filter { $0.time > cutAt + 500 && $0.time < restoreAt - 500 }
        #expect(!outage.isEmpty)
        #expect(outage.allSatisfy { $0.method == "thing.measurepoint.resume.batch" }, "\(outage.filter { !$0.method.hasSuffix("resume.batch") }.count) outage samples not on resume")
        // Each replay is one connection of one agent process: the entries between one `connect`
        // record and the next (by arrival, a killed agent's last batch can come after the next
        // agent started, so times alone cannot tell replays apart).
        let connects = h.records(kind: "connect").compactMap { $0["seq"] as? Int }.sorted()
        #expect(connects.count >= 3, "connections: \(connects)")
        for device in ["meter1", "meter2"] {
            for (i, from) in connects.enumerated() {
                let to = i + 1 < connects.count ? connects[i + 1] : Int.max
                let times = entries.filter { $0.device == device && $0.method.hasSuffix("resume.batch") && $0.seq > from && $0.seq < to }
                    .sorted { $0.seq < $1.seq }.map(\.time)
                #expect(times == times.sorted(), "resume of \(device) out of time order in connection \(i + 1)")
            }
        }
        // Live data kept flowing during the replay, with bounded latency.
        let liveAfter = entries.filter { $0.method.hasSuffix("post.batch") && $0.arrival > start2 + 1_000 }
        #expect(!liveAfter.isEmpty)
        let slow = liveAfter.filter { $0.arrival - $0.time > 2_000 }
        #expect(slow.count * 10 <= liveAfter.count, "\(slow.count) of \(liveAfter.count) live samples took over 2 s")

        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func sighupWithBadConfigKeepsRunningAndSigtermExitsZero() throws {
        let h = try H()
        try h.writeConfig()
        try h.startAgent()
        #expect(h.waitFor(20) { !$0.isEmpty })
        let good = try String(contentsOf: h.configFile, encoding: .utf8)
        try good.replacingOccurrences(of: #""keepAliveSeconds": 5"#, with: #""keepAliveSeconds": "five""#)
            .write(to: h.configFile, atomically: true, encoding: .utf8)
        kill(h.agent!.processIdentifier, SIGHUP)
        #expect(h.waitForLog(10) { $0.contains("reload refused: keeping the running configuration") }, "no answer to SIGHUP")
        #expect(h.agentIsRunning)
        let mark = H.nowMs()
        #expect(h.waitFor(10) { $0.contains { $0.arrival > mark + 500 } }, "data stopped after a refused reload")
        var log = String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self)
        #expect(log.contains("reload refused: \(h.configFile.path): cloud.keepAliveSeconds (line"), "\(log.suffix(1500))")
        #expect(log.contains("keeping the running configuration"))

        // A valid file is taken.
        try good.write(to: h.configFile, atomically: true, encoding: .utf8)
        kill(h.agent!.processIdentifier, SIGHUP)
        let mark2 = H.nowMs()
        #expect(h.waitFor(10) { $0.contains { $0.arrival > mark2 + 1_000 } }, "no data after a good reload")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
        log = String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self)
        #expect(log.contains("configuration reloaded"))
        #expect(log.contains("stopped"))
    }
}
