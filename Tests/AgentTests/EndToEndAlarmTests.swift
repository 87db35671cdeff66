import Foundation
import Testing

/// `edge-agent run` with an alarm rule (issue 14) against a pymodbus slave, mosquitto and the EnOS
/// cloud simulator: an alarm raised and cleared while the line to the cloud is cut reaches the
/// cloud after it as two `thing.event.{eventId}.post` requests on the device's topic, raise then
/// clear, each with the time its condition was met or went (not the time of sending), each
/// exactly once. Here the outage lasts about 12 s (this suite also runs on the firmware under
/// qemu); `AlarmFiveMinuteOutageTests` runs the same scenario with the issue's 5 minutes on the
/// host build.
@Suite(.serialized) struct EndToEndAlarmTests {
    typealias H = EndToEndHarness

    /// The rule: `limit` of m1 (holding 10, 1010 at start) above 4000, held down to 3900.
    static let alarms = #"""
    , "alarms": [{"id": "m1-limit-high", "device": "m1", "high": {"point": "limit", "limit": 4000, "hysteresis": 100},
                  "level": "major", "message": "limit {limit}", "eventId": "limitHigh",
                  "outputs": [{"id": "value", "point": "limit"}, {"id": "desc", "value": "message"},
                              {"id": "level", "value": "level"}, {"id": "state", "value": "state"}]}]
    """#

    /// The event posts the cloud received: (seq, arrival, topic, params).
    static func eventPosts(_ h: H) -> [(seq: Int, arrival: Int64, topic: String, params: [String: Any])] {
        h.records(kind: "request").compactMap { r in
            guard r["method"] as? String == "thing.event.limitHigh.post", let topic = r["topic"] as? String,
                  let payload = r["payload"] as? [String: Any], let params = payload["params"] as? [String: Any],
                  let seq = r["seq"] as? Int, let arrival = (r["time"] as? NSNumber)?.int64Value else { return nil }
            return (seq, arrival, topic, params)
        }.sorted { $0.seq < $1.seq }
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func alarmRaisedAndClearedDuringOutageArrivesAfterItInOrderOnce() throws {
        try Self.raiseAndClearDuringAnOutage(lastingMs: 12_000)
    }

    /// The scenario: cut the line, raise and clear the alarm, restore the line after `lastingMs`
    /// from the cut, then check what the cloud got.
    static func raiseAndClearDuringAnOutage(lastingMs: Int64) throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200, extra: Self.alarms)
        try h.startAgent()
        try h.waitUntil("live data of m1", timeout: 30) { h.entries().contains { $0.device == "meter1" && $0.method.hasSuffix("post.batch") } }

        let beforeCut = h.logMark()
        try h.relay("cut")
        let cutAt = H.nowMs()
        try h.waitForLog(after: beforeCut, ["disconnected: "], timeout: 15)

        let raiseWritten = H.nowMs()
        try h.writeSlaveRegister(unit: 1, address: 10, value: 4500)
        let raisedSeen = try h.waitForLog(after: beforeCut, ["alarm m1-limit-high raised"], timeout: 15)
        usleep(1_000_000)   // the alarm stays raised over a few polls: one raise, not one per poll
        let clearWritten = H.nowMs()
        try h.writeSlaveRegister(unit: 1, address: 10, value: 1000)
        let clearedSeen = try h.waitForLog(after: beforeCut, ["alarm m1-limit-high cleared"], timeout: 15)
        #expect(Self.eventPosts(h).isEmpty, "an event went out during the outage")
        // The outage lasts `lastingMs` in all; the agent keeps polling (and trying to reconnect).
        while H.nowMs() - cutAt < lastingMs { usleep(UInt32(min(1_000, max(1, lastingMs - (H.nowMs() - cutAt)))) * 1_000) }
        #expect(Self.eventPosts(h).isEmpty, "an event went out during the outage")
        try h.relay("restore")
        let restoreAt = H.nowMs()

        let posts = try h.waitUntil("the raise and the clear in the cloud", timeout: 30) {
            let p = Self.eventPosts(h)
            return p.count >= 2 ? p : nil
        }
        // Nothing more comes for this alarm once the backlog has been replayed and live data flows.
        try h.waitUntil("live data of m1 taken after the restore") {
            h.entries().contains { $0.device == "meter1" && $0.method.hasSuffix("post.batch") && $0.time > restoreAt + 2_000 }
        }
        let all = Self.eventPosts(h)
        #expect(all.count == 2, "event posts: \(all.map(\.params))")
        let states = posts.prefix(2).map { (($0.params["events"] as? [String: Any])?["state"] as? NSNumber)?.intValue }
        #expect(states == [1, 0], "raise then clear: \(posts.map(\.params))")
        let times = posts.prefix(2).map { ($0.params["time"] as? NSNumber)?.int64Value ?? 0 }
        // The raise's time is when the first sample above the limit was taken, the clear's when
        // the first one below was: between the write and the log line that said so.
        #expect(times[0] >= raiseWritten - 250 && times[0] <= raisedSeen, "raise time \(times[0]) not in [\(raiseWritten), \(raisedSeen)]")
        #expect(times[1] >= clearWritten - 250 && times[1] <= clearedSeen, "clear time \(times[1]) not in [\(clearWritten), \(clearedSeen)]")
        #expect(posts.allSatisfy { $0.arrival >= restoreAt }, "arrived before the restore")
        #expect(posts.allSatisfy { $0.topic == "/sys/subPK/meter1/thing/event/limitHigh/post" }, "\(posts.map(\.topic))")
        let raise = posts[0].params["events"] as? [String: Any]
        #expect((raise?["value"] as? NSNumber)?.intValue == 4500)
        #expect(raise?["desc"] as? String == "limit 4500")
        #expect(raise?["level"] as? String == "major")
        // Every event was answered 200 by the cloud.
        let codes = h.records(kind: "request").filter { $0["method"] as? String == "thing.event.limitHigh.post" }.map { $0["replyCode"] as? Int }
        #expect(codes.allSatisfy { $0 == 200 }, "\(codes)")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}

/// The issue's outage length: the same scenario as `EndToEndAlarmTests` with the line cut for 5
/// minutes (host build only: the firmware end-to-end run, `EndToEnd*` under qemu, keeps the
/// 12-second one; this test waits, it does not load the machine, and runs beside the others).
@Suite struct AlarmFiveMinuteOutageTests {
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func alarmRaisedAndClearedDuringAFiveMinuteOutageArrivesAfterItInOrderOnce() throws {
        try EndToEndAlarmTests.raiseAndClearDuringAnOutage(lastingMs: 300_000)
    }
}
