import Foundation
import Testing

/// `edge-agent run` against pymodbus and the cloud simulator with a derived point, a virtual
/// device and a deadband: the derived values arrive with the time stamp of the poll they were
/// computed from, and the deadband cuts the messages of its point to the heartbeat.
@Suite(.serialized) struct EndToEndComputeTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func derivedPointsArriveWithTheirPollsTimeAndADeadbandCutsTheMessages() throws {
        let h = try H()
        // Unit 1: r0 = 1000, r1 = 1001, r2 = 1002; unit 2: 2000, 2001, 2002 (constant).
        try h.writeConfig(intervalMs: 200, points: #"""
            , {"id": "total", "formula": "r0 + r1 * 2"},
              {"id": "r2", "table": "holding", "address": 2, "type": "uint16", "deadband": 5, "maxReportMs": 2000}
            """#, devices: #"""
            , {"name": "site", "type": "virtual", "productKey": "subPK", "deviceKey": "meter3", "points": [{"id": "plant", "formula": "m1.r0 + m2.r0"}]}
            """#, subDevices: #", {"device": "site", "deviceSecret": "s3"}"#)
        try h.startAgent()
        let arrived = h.waitFor(30) { entries in
            entries.filter { $0.device == "meter1" && $0.points["r0"] != nil }.count >= 30
                && entries.contains { $0.device == "meter3" && $0.points["plant"] != nil }
        }
        let log = (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? ""
        #expect(arrived, "\(log)")
        let entries = h.entries()
        for (device, expected) in [("meter1", 3002.0), ("meter2", 6002.0)] {
            let mine = entries.filter { $0.device == device }
            let polled = Set(mine.filter { $0.points["r0"] != nil }.map { $0.time })
            let totals = mine.filter { $0.points["total"] != nil }
            #expect(totals.count * 10 >= polled.count * 9, "\(device): \(totals.count) totals for \(polled.count) polls")
            for e in totals {
                #expect((e.points["total"] as? NSNumber)?.doubleValue == expected, "\(device) at \(e.time): \(e.points)")
                #expect(polled.contains(e.time), "\(device): total at \(e.time), a time no poll of r0 had")
            }
            // r2 never changes: the first sample, then one heartbeat every 2 s, each a polled sample.
            let r2 = mine.filter { $0.points["r2"] != nil }
            #expect(!r2.isEmpty)
            #expect(r2.count * 5 <= polled.count, "\(device): \(r2.count) messages of r2 for \(polled.count) polls")
            for e in r2 { #expect(polled.contains(e.time), "\(device): r2 at \(e.time), a time no poll had") }
            let times = Set(r2.map { $0.time }).sorted()
            let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
            #expect(gaps.allSatisfy { $0 >= 2000 && $0 < 3000 }, "\(device): r2 heartbeat gaps \(gaps)")
        }
        // The virtual device: the sum of both meters' r0, stamped with one of their polls.
        let allPolls = Set(entries.filter { $0.points["r0"] != nil }.map { $0.time })
        let plant = entries.filter { $0.device == "meter3" && $0.points["plant"] != nil }
        let good = plant.filter { ($0.points["plant"] as? NSNumber)?.doubleValue == 3000 }
        #expect(!good.isEmpty, "\(plant.map { $0.points })")
        for e in good { #expect(allPolls.contains(e.time)) }
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(log)")
    }
}
