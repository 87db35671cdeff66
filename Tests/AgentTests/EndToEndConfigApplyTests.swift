import Foundation
import Testing

/// `edge-agent config apply` on a running agent (`run --pid-file`) with a backlog in the ring log:
/// the signed bundle is written, the agent is told to reload (SIGHUP) and does, the backlog is
/// posted after the outage with nothing lost or misattributed, data keeps flowing, and the gateway
/// status names the new configuration's version and hash.
@Suite(.serialized) struct EndToEndConfigApplyTests {
    typealias H = EndToEndHarness

    /// `config apply` checks the bundle against the test key: a host build is given it (`--key`);
    /// a firmware trusts only its compiled-in key, so under Tools/qemu-agent.sh this runs only on
    /// the test-key build (as the OTA upgrade tests: EndToEndOTATests.testKeyFirmware).
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "config apply with the test key: a host build, or the firmware built with the test key"))
    func aGoodBundleAppliedToARunningAgentKeepsTheBacklogAndDataFlowing() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200, extra: H.debugLogging)
        let original = try String(contentsOf: h.configFile, encoding: .utf8)
            .replacingOccurrences(of: #""unit": 1,"#, with: #""unit": 5,"#)   // meter1: the counting unit
        try original.write(to: h.configFile, atomically: true, encoding: .utf8)
        let pidFile = h.directory.appendingPathComponent("agent.pid")
        try h.startAgent(arguments: ["--pid-file", pidFile.path])
        func agentLog() -> String { h.agentLogText() }
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(agentLog().suffix(2000))")

        // A backlog: the uplink cut, 15 records kept and not confirmed.
        let beforeCut = h.logMark()
        try h.relay("cut")
        try h.waitForLog(after: beforeCut, ["disconnected: "], timeout: 10)
        try h.waitForSyncWhileDown(after: beforeCut, unconfirmed: 15)

        // The new configuration: status every second instead of two, signed as version e2e-2.
        let next = original.replacingOccurrences(of: #""status": {"intervalMs": 2000}"#, with: #""status": {"intervalMs": 1000}"#)
        try #require(next != original)
        let input = h.directory.appendingPathComponent("next.json"), bundle = h.directory.appendingPathComponent("next.cfgb")
        try next.write(to: input, atomically: true, encoding: .utf8)
        let keys = H.packageRoot.appendingPathComponent("Tests/OTAFixtures/Keys")
        let made = try run("/usr/bin/env", ["python3", H.packageRoot.appendingPathComponent("Tools/make-config-bundle.py").path, "build",
                                            "--key", keys.appendingPathComponent("test-signing-key.pem").path, "--config", input.path,
                                            "--version", "e2e-2", "--output", bundle.path])
        try #require(made.status == 0, "\(made.output)")

        let beforeApply = h.logMark()
        // The test key: given to a host build, compiled into the test-key firmware.
        let key = EndToEndOTATests.binary.host ? ["--key", keys.appendingPathComponent("test-signing-key.der").path] : []
        let applied = try run(H.binary, ["config", "apply", bundle.path, "--config", h.configFile.path, "--pid-file", pidFile.path] + key)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(applied.output.contains("signalled the agent (pid \(h.agent?.processIdentifier ?? -1)) to reload"), "\(applied.output)")
        let hash = try #require(applied.output.range(of: #"sha256 [0-9a-f]{64}"#, options: .regularExpression)
            .map { String(applied.output[$0].dropFirst(7)) }, "\(applied.output)")
        try h.waitForLog(after: beforeApply, ["configuration reloaded"], timeout: 10)
        #expect(try String(contentsOf: h.configFile.appendingPathExtension("previous"), encoding: .utf8) == original)

        let backlog = h.unconfirmedWhileDown(after: beforeCut) ?? 0
        try h.waitForSyncWhileDown(after: beforeApply, unconfirmed: backlog + 5)
        try h.relay("restore")
        let restoreAt = H.nowMs()

        // Every count of meter1 arrives (before, during and after the apply), as r0, and data
        // keeps flowing after the outage.
        func counts(_ es: [H.Entry]) -> Set<Int> {
            Set(es.filter { $0.device == "meter1" }.compactMap { ($0.points["r0"] as? NSNumber)?.intValue })
        }
        func missing(_ c: Set<Int>) -> [Int] { (1...max(c.max() ?? 1, 1)).filter { !c.contains($0) } }
        let complete = h.waitFor(30) { es in
            es.contains { $0.device == "meter1" && $0.time > restoreAt + 1_000 }
                && es.contains { $0.device == "meter2" && $0.time > restoreAt + 1_000 } && missing(counts(es)).isEmpty
        }
        let entries = h.entries()
        #expect(complete, "missing counts \(missing(counts(entries)).prefix(40)); log: \(agentLog().suffix(2500))")
        // Nothing misattributed: meter2's r1 is register 1 of unit 2 (2001), always.
        let r1 = Set(entries.filter { $0.device == "meter2" }.compactMap { ($0.points["r1"] as? NSNumber)?.intValue })
        #expect(r1.count == 1, "meter2 r1 values \(r1.sorted().prefix(20))")
        #expect(!agentLog().contains("stored samples not sent"), "samples dropped: \(agentLog().suffix(2500))")

        // The gateway status names the running configuration.
        var status: [String: Any]? = nil
        _ = h.waitForLog(15) { _ in
            for r in h.records(kind: "request") {
                guard r["method"] as? String == "thing.measurepoint.post", r["topic"] as? String == "/sys/gwPK/gw1/thing/measurepoint/post",
                      let payload = r["payload"] as? [String: Any], let params = payload["params"] as? [String: Any],
                      let points = params["measurepoints"] as? [String: Any], points["configVersion"] as? String == "e2e-2" else { continue }
                status = points
            }
            return status != nil
        }
        let s = try #require(status, "no gateway status with configVersion e2e-2")
        #expect(s["configHash"] as? String == hash, "\(s)")
        #expect(h.agentIsRunning, "the agent died: \(agentLog().suffix(2500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
        #expect(!FileManager.default.fileExists(atPath: pidFile.path), "the pid file is removed at exit")
    }

    func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
