import CShim
import Foundation
import Testing

/// `config apply PATH` on the agent's console (a bundle on a USB stick): a tampered bundle is
/// refused with the reason and changes nothing; a good one is installed through the same path
/// as the cloud's, the agent restarts on it on trial, the trial passes and data keeps flowing.
@Suite(.serialized) struct EndToEndConsoleConfigApplyTests {
    typealias H = EndToEndHarness
    typealias Terminal = EndToEndConsoleTests.Terminal

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "bundles signed with the test key: a host build given --ota-key, or the firmware built with the test key"))
    func aBundleAppliedFromTheConsoleIsInstalledAndATamperedOneRefused() throws {
        let h = try H()
        let tty = try Terminal()
        try h.writeConfig(extra: #", "console": {"input": "tty", "device": "\#(tty.slavePath)", "password": "pw-4242"}"#)
        try h.startAgent(arguments: EndToEndCloudConfigTests.agentArguments)
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("Password: ") != nil, "no password prompt: \(h.agentLogText().suffix(2000))")
        tty.type("pw-4242\r")
        try #require(tty.waitFor("edge> ") != nil, "no prompt after the password")
        try #require(h.waitFor(20) { es in Set(es.map(\.device)) == ["meter1", "meter2"] }, "no samples from both meters")

        let original = try Data(contentsOf: h.configFile)
        let text = String(decoding: original, as: UTF8.self)
        let next = text.replacingOccurrences(of: #""status": {"intervalMs": 2000}"#, with: #""status": {"intervalMs": 1000}"#)
        let good = try EndToEndCloudConfigTests().bundle(h, next, version: "usb-2")
        var tampered = good
        tampered[try #require(good.range(of: Data("\"plant\"".utf8))).lowerBound + 1] = UInt8(ascii: "P")
        let stick = h.directory.appendingPathComponent("usb")
        try FileManager.default.createDirectory(at: stick, withIntermediateDirectories: true)
        try tampered.write(to: stick.appendingPathComponent("bad.cfgb"))
        try good.write(to: stick.appendingPathComponent("site.cfgb"))

        let refused = tty.run("config apply " + stick.appendingPathComponent("bad.cfgb").path)
        #expect(refused.contains("changed after it was signed"), "\(refused)")
        #expect(refused.contains("refused: nothing changed"), "\(refused)")
        #expect(try Data(contentsOf: h.configFile) == original)

        let mark = h.logMark()
        tty.type("config apply " + stick.appendingPathComponent("site.cfgb").path + "\r")
        let applied = tty.waitFor("restarting on it") ?? ""
        #expect(applied.contains("config: now version usb-2 (sha256 "), "\(applied)")
        try h.waitForLog(after: mark, ["configuration reloaded", "version usb-2 is on trial", "version usb-2 passed its trial"], timeout: 30)
        #expect(try String(contentsOf: h.configFile, encoding: .utf8).contains(#""intervalMs": 1000"#))
        let at = H.nowMs()
        #expect(h.waitFor(20) { es in es.contains { $0.device == "meter1" && $0.time > at } }, "no data after the apply")
        #expect(h.agentIsRunning, "the agent died: \(h.agentLogText().suffix(2500))")
    }
}
