import Foundation
import Testing

/// `edge-agent run` against the cloud simulator refusing one sub-device's data (as EnOS answers a
/// batch: all or nothing, the first error met): the other device's data keeps arriving within a
/// request round or two (the refused round, then the round split by device when the reply does
/// not name the device), the refused device is said once in words, and its samples are left out.
/// Before: every batch carried the refused device, so every batch was refused and retried with a
/// back-off growing to a minute: nothing of any device arrived while the refusal lasted.
@Suite(.serialized) struct EndToEndRefusedDeviceTests {
    typealias H = EndToEndHarness

    static func agentLog(_ h: H) -> String { String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self) }

    /// Refuses meter2's data from now on (`names`: the message names it) and checks that meter1's
    /// samples go on arriving at once and meter2's stop.
    func checkOneRefusedDevice(code: Int, names: Bool, said: String) throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        try h.startAgent()
        let both = h.waitFor(20) { es in Set(es.map(\.device)).isSuperset(of: ["meter1", "meter2"]) }
        try #require(both, "no data: \(Self.agentLog(h).suffix(2000))")

        _ = try h.cloud(["cmd": "refuse_data", "device": "subPK/meter2", "code": code, "names": names])
        let refusedFrom = H.nowMs()
        // meter1's samples taken after the refusal arrive within 2 s of being taken (no back-off).
        let from = refusedFrom + 500
        let until = refusedFrom + 4_500
        let flowed = h.waitFor(15) { es in es.contains { $0.device == "meter1" && $0.time >= until } }
        let entries = h.entries()
        #expect(flowed, "meter1 stopped: \(Self.agentLog(h).suffix(2000))")
        let late = entries.filter { $0.device == "meter1" && $0.time >= from && $0.time <= until && $0.arrival - $0.time > 2_000 }
        #expect(late.isEmpty, "\(late.count) samples of meter1 arrived more than 2 s late, e.g. \(late.first.map { $0.arrival - $0.time } ?? 0) ms")
        #expect(H.gaps(entries, device: "meter1", longerThan: 1_000, from: from, to: until).isEmpty)
        // meter2's samples after the refusal are not accepted (the cloud refuses them) and not resent for ever.
        #expect(!entries.contains { $0.device == "meter2" && $0.time > refusedFrom + 100 })
        let refused = h.records(kind: "request").filter { $0["replyCode"] as? Int == code }
        #expect(refused.count <= 12, "\(refused.count) refused requests")

        let lines = Self.agentLog(h).components(separatedBy: "\n").filter { $0.contains("sub-device m2: the cloud refuses its data") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains(said) == true, "\(lines)")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aDisabledDeviceTheReplyDoesNotNameIsFoundByOneSplitRoundAndTheOtherFlowsOn() throws {
        try checkOneRefusedDevice(code: 723, names: false, said: "disabled in the cloud (code 723)")
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aDeviceTheReplyNamesIsLeftOutAtOnce() throws {
        try checkOneRefusedDevice(code: 740, names: true, said: "topology (code 740)")
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aDeviceTheCloudDeletedIsNotSentAnyMoreAndTheOtherFlowsOn() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        try h.startAgent()
        let both = h.waitFor(20) { es in Set(es.map(\.device)).isSuperset(of: ["meter1", "meter2"]) }
        try #require(both, "no data: \(Self.agentLog(h).suffix(2000))")
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "login", "device": "subPK/meter1"], "timeout": 10])
        _ = try h.cloud(["cmd": "notice", "notice": "delete", "devices": ["subPK/meter1"], "id": "d1"])
        _ = try h.cloud(["cmd": "wait", "match": ["kind": "command_reply", "payload.id": "d1"], "timeout": 10])
        let deletedAt = H.nowMs()
        let until = deletedAt + 4_000
        let flowed = h.waitFor(15) { es in es.contains { $0.device == "meter2" && $0.time >= until } }
        #expect(flowed, "meter2 stopped: \(Self.agentLog(h).suffix(2000))")
        let entries = h.entries()
        #expect(H.gaps(entries, device: "meter2", longerThan: 1_000, from: deletedAt, to: until).isEmpty)
        // Not sent any more: no request after the notice carries meter1 (the cloud would refuse it with 705).
        let sent = h.records(kind: "request").filter { r in
            (r["time"] as? NSNumber)?.int64Value ?? 0 > deletedAt + 500
                && (((r["payload"] as? [String: Any])?["params"] as? [[String: Any]]) ?? []).contains { $0["deviceKey"] as? String == "meter1" }
        }
        #expect(sent.count == 0, "requests with meter1 after its deletion")
        let lines = Self.agentLog(h).components(separatedBy: "\n")
        #expect(lines.filter { $0.contains("sub-device m1 deleted in the cloud") && $0.contains("no longer sent") }.count == 1, "\(lines.suffix(20))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
