import Foundation
import Testing

/// The console's `trace DEVICE POINT` in `edge-agent run` against pymodbus and the cloud
/// simulator: live lines for each sample of one point (its register words as received, the
/// decoded and raw value, the formula and its result, reported or suppressed with the reason)
/// until Ctrl-C, after which the prompt is back and no more lines come.
@Suite(.serialized) struct EndToEndTraceTests {
    typealias H = EndToEndHarness
    typealias Terminal = EndToEndConsoleTests.Terminal

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func traceShowsEachStepOfAPointUntilCtrlC() throws {
        let h = try H()
        let tty = try Terminal()
        // Unit 1: r0 = 1000, r1 = 1001, r2 = 1002 (constant).
        try h.writeConfig(intervalMs: 200, extra: """
            , "console": {"input": "tty", "device": "\(tty.slavePath)"}
            """, points: #"""
            , {"id": "total", "formula": "r0 + r1 * 2"},
              {"id": "tenth", "table": "holding", "address": 0, "type": "uint16", "scale": 0.1},
              {"id": "r2", "table": "holding", "address": 2, "type": "uint16", "deadband": 5, "maxReportMs": 2000},
              {"id": "pair", "table": "holding", "address": 0, "type": "uint32", "order": "CDAB"}
            """#)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        let log = { (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? "" }
        try #require(tty.waitFor("edge> ", timeout: 20) != nil, "no prompt; agent log:\n\(log().suffix(2000))")

        // A deadband: samples within it are suppressed, one every 2 s goes out as the heartbeat.
        tty.type("trace m1 r2\r")
        let started = tty.waitFor("(Ctrl-C ends)", timeout: 10)
        #expect(started?.contains("tracing m1.r2") == true, "\(started ?? tty.screen)")
        let suppressed = tty.waitFor("m1.r2 registers 0x03ea -> decoded 1002 -> suppressed: within the deadband", timeout: 15)
        #expect(suppressed != nil, "no suppressed sample: \(tty.screen)")
        let heartbeat = tty.waitFor("m1.r2 registers 0x03ea -> decoded 1002 -> reported: heartbeat", timeout: 15)
        #expect(heartbeat != nil, "no heartbeat: \(tty.screen)")
        #expect(heartbeat?.contains("m1.r0") == false, "another point in the trace: \(heartbeat ?? "")")
        tty.send([0x03])
        #expect(tty.waitFor("edge> ", timeout: 10) != nil, "no prompt after Ctrl-C: \(tty.screen)")
        // Ctrl-C stopped the watch: nothing more is shown.
        let after = tty.drain(timeout: 2)
        #expect(!after.contains("m1.r2"), "trace lines after Ctrl-C: \(after)")

        // A formula: its inputs' values through it, reported (no filter).
        tty.type("trace m2 total\r")
        let total = tty.waitFor("m2.total formula r0 + r1 * 2 = 6002 -> reported", timeout: 15)
        #expect(total != nil, "\(tty.screen)")
        tty.send([0x03])
        #expect(tty.waitFor("edge> ", timeout: 10) != nil)

        // A scaled point: the register, and the raw value before the scale.
        tty.type("trace m1 tenth\r")
        let tenth = tty.waitFor("m1.tenth registers 0x03e8 -> decoded 100 (raw 1000) -> reported", timeout: 15)
        #expect(tenth != nil, "\(tty.screen)")
        tty.send([0x03])
        #expect(tty.waitFor("edge> ", timeout: 10) != nil)

        // Two registers in wire order, low word first (CDAB): 1001 · 65536 + 1000.
        tty.type("trace m1 pair\r")
        let pair = tty.waitFor("m1.pair registers 0x03e8 0x03e9 -> decoded 65602536 -> reported", timeout: 15)
        #expect(pair != nil, "\(tty.screen)")
        tty.send([0x03])
        #expect(tty.waitFor("edge> ", timeout: 10) != nil)

        // A point that does not exist: said, and the prompt is back.
        let unknown = tty.run("trace m1 nope")
        #expect(unknown.contains("no point 'nope' in m1"), "\(unknown)")
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(log().suffix(2000))")
    }
}
