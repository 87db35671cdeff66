import Foundation
import Testing

/// `edge-agent run` against the cloud simulator answering every measurepoint batch with a
/// transient code (1009: no write permission, e.g. a sub-device not logged in yet) for a few
/// seconds: the agent backs off (1 s, 2 s, 4 s...) instead of resending everything unconfirmed
/// as fast as the replies come, says the code once with its meaning, and once the cloud takes
/// data again everything arrives, nothing lost. Before: a resend storm (hundreds of requests a
/// second) for as long as the code lasted. Also: every batch carries
/// `skipInvalidMeasurepoints: true` (one point the model refuses no longer fails the request for
/// every device), and the harness's 5 s keep-alive is accepted with EnOS's range in a warning.
@Suite(.serialized) struct EndToEndReplyCodeTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aTransientCodeBacksOffWithoutAResendStormAndLosesNothing() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        try h.startAgent()
        func agentLog() -> String { h.agentLogText() }
        let live = h.waitFor(20) { es in Set(es.map(\.device)).isSuperset(of: ["meter1", "meter2"]) }
        try #require(live, "no data: \(agentLog().suffix(2000))")
        let firstTime = h.entries().map(\.time).min() ?? 0

        for method in ["thing.measurepoint.post.batch", "thing.measurepoint.resume.batch"] {
            _ = try h.cloud(["cmd": "set_code", "method": method, "code": 1009])
        }
        let refusedFrom = H.nowMs()
        // The cloud's refusals have begun (within a live interval)...
        try h.waitUntil("a request refused with 1009") { h.records(kind: "request").contains { $0["replyCode"] as? Int == 1009 } }
        // ...and last 6 s, on purpose: the span the number of refused requests is counted over
        // (back-off rounds at about 0, 1, 3 s fit in it; a resend storm makes hundreds).
        usleep(UInt32(max(0, 6_000 - (H.nowMs() - refusedFrom))) * 1000)
        for method in ["thing.measurepoint.post.batch", "thing.measurepoint.resume.batch"] {
            _ = try h.cloud(["cmd": "set_code", "method": method, "code": NSNull()])
        }
        let refusedUntil = H.nowMs()

        let refused = h.records(kind: "request").filter { $0["replyCode"] as? Int == 1009 }
        // Back-off rounds at about 0, 1, 3 s (7 s is after the end): a window of a few requests
        // each; a resend at full speed makes hundreds.
        #expect(!refused.isEmpty, "the cloud refused nothing")
        #expect(refused.count <= 20, "\(refused.count) refused requests in 6 s")

        // Everything sampled from the first entry on arrives (the delay is the back-off's).
        let end = refusedUntil + 3_000
        let complete = h.waitFor(30) { es in
            ["meter1", "meter2"].allSatisfy { d in
                es.contains { $0.device == d && $0.time >= end } && H.gaps(es, device: d, longerThan: 1_000, from: firstTime, to: end).isEmpty
            }
        }
        let entries = h.entries()
        #expect(complete, "gaps: \(["meter1", "meter2"].map { H.gaps(entries, device: $0, longerThan: 1_000, from: firstTime, to: end) }) refused \(refusedFrom)...\(refusedUntil)")
        #expect(entries.contains { $0.time > refusedFrom + 500 && $0.time < refusedUntil - 500 }, "the refused period's samples")

        // Said once, with its meaning, not per request.
        let said = agentLog().components(separatedBy: "\n").filter { $0.contains("code 1009") }
        #expect(said.count == 1, "\(said.count) lines: \(said.prefix(3))")
        #expect(said.first?.contains("no permission to publish") == true, "\(said)")

        // Every batch asks the cloud to skip invalid points rather than refuse the whole request.
        let batches = h.records(kind: "request").filter { ($0["method"] as? String)?.hasSuffix(".batch") == true
            && ($0["method"] as? String)?.hasPrefix("thing.measurepoint.") == true }
        #expect(!batches.isEmpty)
        #expect(batches.allSatisfy { (($0["payload"] as? [String: Any])?["skipInvalidMeasurepoints"] as? Bool) == true },
                "\(batches.first?["payload"] ?? "")")

        // The harness's 5 s keep-alive is accepted, with EnOS's range said.
        #expect(agentLog().contains("cloud.keepAliveSeconds 5 is below 60: EnOS requires 60...300 s"), "\(agentLog().prefix(1500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
