import Foundation
import Testing

/// `edge-agent run` against the cloud simulator serving the sub-device product's TSL model
/// (`thing.tsltemplate.get`), in which point `r1` of the meters does not exist: the agent fetches
/// the model at login, says once per device that `r1` is left out (device, point, product key,
/// what the model lacks), never posts it (so the cloud refuses nothing and skips nothing), the
/// other points arrive, and the console's `points` marks `r1`. Before: `r1` went out in every
/// batch and the cloud dropped it (or, without `skipInvalidMeasurepoints`, refused the batch with
/// 1204), and nothing local said so. A model that gains the point is picked up on reconnect.
@Suite(.serialized) struct EndToEndModelCheckTests {
    typealias H = EndToEndHarness
    typealias Terminal = EndToEndConsoleTests.Terminal

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aPointUnknownToTheModelIsLoggedOnceLeftOutAndMarked() throws {
        let h = try H()
        let tty = try Terminal()
        _ = try h.cloud(["cmd": "set_model", "productKey": "subPK", "measurepoints": ["r0": "INT", "limit": "INT"]])
        try h.writeConfig(intervalMs: 200, extra: """
            , "console": {"input": "tty", "device": "\(tty.slavePath)", "password": "\(EndToEndConsoleTests.password)"}
            """)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        func agentLog() -> String { String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self) }

        let live = h.waitFor(20) { es in
            ["meter1", "meter2"].allSatisfy { d in es.filter { $0.device == d && $0.points["r0"] != nil }.count >= 5 }
        }
        try #require(live, "no data: \(agentLog().suffix(2000))")
        let asked = h.records(kind: "request").filter { $0["method"] as? String == "thing.tsltemplate.get" }
        #expect(!asked.isEmpty && asked.allSatisfy { ($0["topic"] as? String)?.hasPrefix("/sys/subPK/") == true },
                "\(asked.map { $0["topic"] ?? "" })")
        #expect(asked.count == 1, "one request per product key: \(asked.count)")

        // r1 never posted; the others are; the cloud neither refused nor skipped anything.
        let entries = h.entries()
        #expect(!entries.contains { $0.points["r1"] != nil }, "r1 was posted")
        #expect(entries.contains { $0.points["limit"] != nil })
        #expect(h.records(kind: "request").allSatisfy { $0["replyCode"] as? Int != 1204 })
        #expect(h.records(kind: "skipped_points").isEmpty, "\(h.records(kind: "skipped_points").prefix(2))")

        // Said once per device, in words.
        let said = agentLog().components(separatedBy: "\n").filter { $0.contains("point r1 is left out") }
        #expect(said.count == 2, "\(said)")
        #expect(said.contains { $0.contains("device m1") && $0.contains("product subPK") && $0.contains("no measurepoint r1") },
                "\(said)")
        #expect(!agentLog().contains("point r0 is left out"))

        // The console marks it.
        try #require(tty.waitFor("Password: ") != nil)
        tty.type(EndToEndConsoleTests.password + "\r")
        try #require(tty.waitFor("edge> ") != nil)
        let points = tty.run("points m1")
        let lines = points.split(whereSeparator: \.isNewline)
        let r1 = lines.first { $0.contains("m1.r1") } ?? ""
        let r0 = lines.first { $0.contains("m1.r0") } ?? ""
        #expect(r1.contains("not in the TSL model"), "\(points)")
        #expect(!r0.contains("TSL model"), "\(points)")

        // The model gains r1: picked up on the next connection, r1 is sent again; nothing said twice.
        _ = try h.cloud(["cmd": "set_model", "productKey": "subPK", "measurepoints": ["r0": "INT", "r1": "INT", "limit": "INT"]])
        _ = try h.cloud(["cmd": "kick"])
        let back = h.waitFor(20) { es in ["meter1", "meter2"].allSatisfy { d in es.contains { $0.device == d && $0.points["r1"] != nil } } }
        #expect(back, "r1 not sent after the model change: \(agentLog().suffix(1500))")
        #expect(agentLog().contains("point r1 is in the TSL model of product subPK now"), "\(agentLog().suffix(1500))")
        #expect(agentLog().components(separatedBy: "\n").filter { $0.contains("point r1 is left out") }.count == 2)
        #expect(h.records(kind: "request").filter { $0["method"] as? String == "thing.tsltemplate.get" }.count == 2)
    }
}
