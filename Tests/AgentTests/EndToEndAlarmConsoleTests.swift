import Foundation
import Testing

/// The console of `edge-agent run` with an alarm rule: `alarms` lists a raised alarm with its
/// level, state and the values it was raised with, then the same rule's clear; `status` counts
/// raised alarms per level.
@Suite(.serialized) struct EndToEndAlarmConsoleTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func alarmsCommandListsTheRaisedAlarmWithItsValuesAndStatusCountsIt() throws {
        let h = try H()
        let tty = try EndToEndConsoleTests.Terminal()
        try h.writeConfig(extra: """
            , "console": {"input": "tty", "device": "\(tty.slavePath)"}\(EndToEndAlarmTests.alarms)
            """)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("edge> ") != nil, "no console prompt; log: \(h.agentLogText().suffix(1500))")
        try h.waitUntil("samples of m1") { h.entries().contains { $0.device == "meter1" } }

        let quiet = tty.run("alarms")
        #expect(quiet.contains("no alarm raised or cleared since start") && quiet.contains("1 rules"), "\(quiet)")

        let mark = h.logMark()
        try h.writeSlaveRegister(unit: 1, address: 10, value: 4500)
        try h.waitForLog(after: mark, ["alarm m1-limit-high raised"])
        let raised = tty.run("alarms")
        #expect(raised.contains("m1-limit-high [major] active, RAISED"), "\(raised)")
        #expect(raised.contains("last raise") && raised.contains(": limit 4500") && raised.contains("values 4500"), "\(raised)")
        let status = tty.run("status")
        #expect(status.contains("alarms: 1 raised (0 critical, 1 major, 0 minor, 0 warning, 0 info) of 1 rules"), "\(status)")

        try h.writeSlaveRegister(unit: 1, address: 10, value: 1000)
        try h.waitForLog(after: mark, ["alarm m1-limit-high cleared"])
        let cleared = tty.run("alarms")
        #expect(cleared.contains("m1-limit-high [major] normal; last clear") && cleared.contains("values 1000"), "\(cleared)")
        #expect(!cleared.contains("RAISED"), "\(cleared)")
    }
}
