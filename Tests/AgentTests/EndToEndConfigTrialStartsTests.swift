import Foundation
import Testing

/// A configuration on trial that keeps the agent from finishing its trial (here: killed with
/// SIGKILL while the trial runs, as a crash or a watchdog reset would) is rolled back at the
/// start after `configTrial.maximumStarts`, as a firmware trial boot is after its boot
/// attempts, instead of being tried with a fresh deadline at every restart forever.
@Suite(.serialized) struct EndToEndConfigTrialStartsTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "config apply with the test key: a host build, or the firmware built with the test key"))
    func aConfigurationKilledOnTrialAgainAndAgainIsRolledBackAfterItsMaximumStarts() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        let original = try String(contentsOf: h.configFile, encoding: .utf8)
        // The new configuration: a long deadline, so only the start count can end its trial.
        let next = original.replacingOccurrences(of: #""status": {"intervalMs": 2000}"#,
                                                 with: #""status": {"intervalMs": 1000}, "configTrial": {"deadlineMs": 600000, "maximumStarts": 2}"#)
        try #require(next != original)
        let input = h.directory.appendingPathComponent("next.json"), bundle = h.directory.appendingPathComponent("next.cfgb")
        try next.write(to: input, atomically: true, encoding: .utf8)
        let keys = H.packageRoot.appendingPathComponent("Tests/OTAFixtures/Keys")
        let made = try EndToEndConfigApplyTests().run("/usr/bin/env", [
            "python3", H.packageRoot.appendingPathComponent("Tools/make-config-bundle.py").path, "build",
            "--key", keys.appendingPathComponent("test-signing-key.pem").path, "--config", input.path,
            "--version", "killed-on-trial", "--output", bundle.path])
        try #require(made.status == 0, "\(made.output)")
        let key = EndToEndOTATests.binary.host ? ["--key", keys.appendingPathComponent("test-signing-key.der").path] : []
        let applied = try EndToEndConfigApplyTests().run(H.binary, ["config", "apply", bundle.path, "--config", h.configFile.path] + key)
        try #require(applied.status == 0, "\(applied.output)")
        // The cloud unreachable: the trial cannot pass.
        try h.relay("cut")

        for start in 1...2 {
            let mark = h.logMark()
            try h.startAgent()
            try h.waitForLog(after: mark, ["version killed-on-trial is on trial (start \(start) of at most 2)"], timeout: 30)
            #expect(h.stopAgent(signal: SIGKILL) != 0)
        }
        let mark = h.logMark()
        try h.startAgent()
        try h.waitForLog(after: mark, ["config: version killed-on-trial failed its trial: the agent started 3 times on it without passing (configTrial.maximumStarts 2)"],
                         timeout: 30)
        try h.waitUntil("the previous configuration back in place", timeout: 30) {
            (try? String(contentsOf: h.configFile, encoding: .utf8)) == original
        }
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".trial"), "the marker is removed")
        #expect(h.agentIsRunning, "the agent runs on the previous configuration: \(h.agentLogText().suffix(2000))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
