import Foundation
import Testing

/// The gateway's configuration services end to end (mosquitto, the cloud simulator, pymodbus):
/// `thing.service.applyConfiguration` with a signed bundle inline installs it and the agent
/// restarts on it while a backlog is being resumed, losing and misattributing nothing; unsigned,
/// tampered, foreign-key and invalid bundles are refused with the reason (and each error's path)
/// in the reply and nothing changes; `thing.service.getConfiguration` answers the running
/// version and hash, and the file with its secrets masked.
@Suite(.serialized) struct EndToEndCloudConfigTests {
    typealias H = EndToEndHarness
    static let keys = H.packageRoot.appendingPathComponent("Tests/OTAFixtures/Keys")
    /// The test key for a host build; the test-key firmware has it compiled in (and no --ota-key).
    static let agentArguments = EndToEndOTATests.binary.host ? ["--ota-key", keys.appendingPathComponent("test-signing-key.der").path] : []

    /// Signs `config` as `version` (with `key`, a PEM private key; the test key by default).
    func bundle(_ h: H, _ config: String, version: String, key: String = "test-signing-key.pem") throws -> Data {
        let input = h.directory.appendingPathComponent("bundle-\(version).json")
        let output = h.directory.appendingPathComponent("bundle-\(version).cfgb")
        try config.write(to: input, atomically: true, encoding: .utf8)
        let made = try run("/usr/bin/env", ["python3", H.packageRoot.appendingPathComponent("Tools/make-config-bundle.py").path, "build",
                                            "--key", Self.keys.appendingPathComponent(key).path, "--config", input.path,
                                            "--version", version, "--output", output.path])
        try #require(made.status == 0, "\(made.output)")
        return try Data(contentsOf: output)
    }

    /// Calls a gateway service and returns its reply.
    func call(_ h: H, _ service: String, _ params: [String: Any], id: String) throws -> [String: Any] {
        let r = try h.cloud(["cmd": "inject", "productKey": "gwPK", "deviceKey": "gw1", "method": "thing.service." + service,
                             "params": params, "id": id])
        try #require(r["ok"] as? Bool == true, "\(r)")
        return try #require(h.commandReply(id: id, timeout: 15), "no reply to \(service) \(id): \(h.agentLogText().suffix(2500))")
    }

    func sha256(_ file: URL) throws -> String {
        let r = try run("/usr/bin/sha256sum", [file.path])
        return String(r.output.prefix(64))
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "bundles signed with the test key: a host build given --ota-key, or the firmware built with the test key"))
    func aGoodBundleFromTheCloudIsInstalledDuringABacklogAndNothingIsLost() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200, extra: H.debugLogging)
        // meter1 counts (unit 5); the backlog is resumed slowly, so the apply lands in the middle of it.
        let original = try String(contentsOf: h.configFile, encoding: .utf8)
            .replacingOccurrences(of: #""unit": 1,"#, with: #""unit": 5,"#)
            .replacingOccurrences(of: #""resumeSamplesPerSecond": 3000"#, with: #""resumeSamplesPerSecond": 15"#)
        try original.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent(arguments: Self.agentArguments)
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(h.agentLogText().suffix(2000))")

        let beforeCut = h.logMark()
        try h.relay("cut")
        try h.waitForLog(after: beforeCut, ["disconnected: "], timeout: 10)
        try h.waitForSyncWhileDown(after: beforeCut, unconfirmed: 15)
        let beforeRestore = h.logMark()
        try h.relay("restore")
        try h.waitForLog(after: beforeRestore, ["uplink ready: backlog of "], timeout: 15)

        let next = original.replacingOccurrences(of: #""status": {"intervalMs": 2000}"#, with: #""status": {"intervalMs": 1000}"#)
        try #require(next != original)
        let signed = try bundle(h, next, version: "cloud-2")
        let beforeApply = h.logMark()
        let reply = try call(h, "applyConfiguration", ["bundle": signed.base64EncodedString()], id: "apply-1")
        #expect(reply["code"] as? Int == 200, "\(reply)")
        let data = reply["data"] as? [String: Any]
        #expect(data?["version"] as? String == "cloud-2", "\(reply)")
        #expect(data?["sha256"] as? String == (try sha256(h.configFile)), "\(reply)")
        try h.waitForLog(after: beforeApply, ["configuration reloaded"], timeout: 10)
        #expect(try String(contentsOf: h.configFile.appendingPathExtension("previous"), encoding: .utf8) == original)
        #expect(try String(contentsOf: h.configFile, encoding: .utf8).contains(#""intervalMs": 1000"#))
        let applyAt = H.nowMs()

        func counts(_ es: [H.Entry]) -> Set<Int> {
            Set(es.filter { $0.device == "meter1" }.compactMap { ($0.points["r0"] as? NSNumber)?.intValue })
        }
        func missing(_ c: Set<Int>) -> [Int] { (1...max(c.max() ?? 1, 1)).filter { !c.contains($0) } }
        let complete = h.waitFor(60) { es in
            es.contains { $0.device == "meter1" && $0.time > applyAt + 1_000 }
                && es.contains { $0.device == "meter2" && $0.time > applyAt + 1_000 } && missing(counts(es)).isEmpty
        }
        let entries = h.entries()
        #expect(complete, "missing counts \(missing(counts(entries)).prefix(40)); log: \(h.agentLogText().suffix(2500))")
        let r1 = Set(entries.filter { $0.device == "meter2" }.compactMap { ($0.points["r1"] as? NSNumber)?.intValue })
        #expect(r1.count == 1, "meter2 r1 values \(r1.sorted().prefix(20))")
        #expect(!h.agentLogText().contains("stored samples not sent"), "samples dropped: \(h.agentLogText().suffix(2500))")
        // On trial after the restart, and passed: the uplink is back and the bus polled.
        try h.waitForLog(after: beforeApply, ["version cloud-2 is on trial", "version cloud-2 passed its trial"], timeout: 20)
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".trial"))
        #expect(h.agentIsRunning, "the agent died: \(h.agentLogText().suffix(2500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "bundles signed with the test key: a host build given --ota-key, or the firmware built with the test key"))
    func aBundleThatBreaksTheUplinkIsRolledBackWithinItsDeadlineAndDataFlowsAgain() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        try h.startAgent(arguments: Self.agentArguments)
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(h.agentLogText().suffix(2000))")
        let original = try Data(contentsOf: h.configFile)
        let text = String(decoding: original, as: UTF8.self)
        // The wrong broker port (nothing listens there), and a short trial.
        let closed = try H.freePort()
        let broken = text.replacingOccurrences(of: "\"port\": \(h.relayPort), \"keepAliveSeconds\"", with: "\"port\": \(closed), \"keepAliveSeconds\"")
            .replacingOccurrences(of: #""control": {"commandTtlMs": 3000}"#, with: #""control": {"commandTtlMs": 3000}, "configTrial": {"deadlineMs": 4000}"#)
        try #require(broken.contains("\(closed)") && broken.contains("configTrial"))
        let beforeApply = h.logMark()
        let reply = try call(h, "applyConfiguration", ["bundle": try bundle(h, broken, version: "broken-1").base64EncodedString()], id: "broken")
        #expect(reply["code"] as? Int == 200, "\(reply)")
        try h.waitForLog(after: beforeApply, ["version broken-1 is on trial"], timeout: 10)
        let failedAt = try h.waitForLog(after: beforeApply, ["version broken-1 failed its trial: the uplink never came up within 4 s",
                                                              "rolled back to version (unversioned)"], timeout: 20)
        #expect(try Data(contentsOf: h.configFile) == original, "the original configuration is back, byte for byte")
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".trial"))
        let flowing = h.waitFor(20) { es in
            es.contains { $0.device == "meter1" && $0.time > failedAt + 500 } && es.contains { $0.device == "meter2" && $0.time > failedAt + 500 }
        }
        #expect(flowing, "no data after the rollback: \(h.agentLogText().suffix(2500))")
        // The failure is reported in the gateway status.
        let reported = h.waitForLog(15) { _ in
            h.records(kind: "request").contains { r in
                guard let payload = r["payload"] as? [String: Any], let params = payload["params"] as? [String: Any],
                      let points = params["measurepoints"] as? [String: Any] else { return false }
                return (points["configTrial"] as? String)?.hasPrefix("rolled back: version broken-1: the uplink never came up") == true
            }
        }
        #expect(reported, "no gateway status with the rollback")
        #expect(h.agentIsRunning, "the agent died: \(h.agentLogText().suffix(2500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "bundles signed with the test key: a host build given --ota-key, or the firmware built with the test key"))
    func refusedBundlesAreAnsweredWithTheReasonAndChangeNothing() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        try h.startAgent(arguments: Self.agentArguments)
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(h.agentLogText().suffix(2000))")
        let original = try Data(contentsOf: h.configFile)
        let text = String(decoding: original, as: UTF8.self)
        let good = try bundle(h, text, version: "good-1")
        let configurationLength = Int(good[48]) | Int(good[49]) << 8 | Int(good[50]) << 16

        let unsigned = good.prefix(128 + configurationLength)
        var tampered = good
        let plant = try #require(good.range(of: Data("\"plant\"".utf8))).lowerBound
        tampered[plant + 1] = UInt8(ascii: "P")
        let foreign = try bundle(h, text, version: "foreign-1", key: "other-signing-key.pem")
        let invalid = try bundle(h, text.replacingOccurrences(of: #""responseTimeoutMs": 300"#, with: #""responseTimeoutMs": "soon""#),
                                 version: "bad-1")
        let cases: [(String, [String: Any], Int, [String])] = [
            ("unsigned", ["bundle": Data(unsigned).base64EncodedString()], 2101, ["not signed"]),
            ("tampered", ["bundle": tampered.base64EncodedString()], 2101, ["changed after it was signed"]),
            ("foreign key", ["bundle": foreign.base64EncodedString()], 2101, ["does not trust"]),
            ("invalid", ["bundle": invalid.base64EncodedString()], 2102, ["buses[0].responseTimeoutMs"]),
            ("not base64", ["bundle": "not base64!"], 2004, ["bundle: not base64"]),
            ("missing", [:], 2013, ["bundle: missing"]),
        ]
        for (i, (name, params, code, reasons)) in cases.enumerated() {
            let reply = try call(h, "applyConfiguration", params, id: "refused-\(i)")
            #expect(reply["code"] as? Int == code, "\(name): \(reply)")
            let message = reply["message"] as? String ?? ""
            for reason in reasons { #expect(message.contains(reason), "\(name): \(reply)") }
        }
        #expect(try Data(contentsOf: h.configFile) == original, "the configuration file changed")
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".previous"))
        #expect(!h.agentLogText().contains("configuration reloaded"))
        #expect(h.agentIsRunning, "the agent died: \(h.agentLogText().suffix(2500))")

        // Drift: the running configuration's version and hash, and the file with its secrets masked.
        let asked = try call(h, "getConfiguration", ["file": true], id: "get-1")
        #expect(asked["code"] as? Int == 200, "\(asked)")
        let data = asked["data"] as? [String: Any] ?? [:]
        #expect(data["sha256"] as? String == (try sha256(h.configFile)), "\(asked)")
        let file = data["file"] as? String ?? ""
        #expect(file.contains(#""deviceKey": "gw1""#), "\(asked)")
        #expect(!file.contains("gwsecret") && file.contains("***"), "secrets not masked: \(file)")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
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
