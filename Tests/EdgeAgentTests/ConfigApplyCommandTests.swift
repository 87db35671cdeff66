import Foundation
import Testing
import TestSupport

/// `edge-agent config apply` as a technician runs it: a good bundle replaces the configuration
/// (the old one kept as `.previous`), a refused one prints every reason and changes nothing, and a
/// kill (SIGKILL, a simulated power cut: EDGE_CONFIG_CUT_AFTER_STEP) at each step of the
/// replacement leaves the old file or the new one at the configuration's path, whole.
@Suite struct ConfigApplyCommandTests {
    static let root = ChildProcess.packageRoot
    static let keys = root.appendingPathComponent("Tests/OTAFixtures/Keys")
    static let testKey = keys.appendingPathComponent("test-signing-key.der").path

    static func config(port: Int) -> String {
        """
        {
          "buses": [{"name": "b", "type": "tcp", "host": "127.0.0.1", "port": \(port)}],
          "templates": [{"name": "t", "points": [{"id": "v", "table": "holding", "address": 0, "type": "uint16"}]}],
          "devices": [{"name": "d1", "template": "t", "unit": 1, "bus": "b", "productKey": "pk", "deviceKey": "dk1"}],
          "cloud": {"host": "localhost", "port": 1883,
                    "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                    "subDevices": [{"device": "d1", "deviceSecret": "s1"}]},
          "ringLog": {"path": "/tmp/edge-config-apply-test.log", "size": "1MiB", "sectorSize": "64KiB"}
        }
        """
    }

    struct Site {
        let dir: URL
        var file: URL { dir.appendingPathComponent("agent.json") }
        var bundle: URL { dir.appendingPathComponent("new.cfgb") }
        func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() }
        func text(_ name: String) -> String? { try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) }
    }

    /// A directory with the old configuration (port 1502) and a bundle of the new one (port 1503).
    static func site(_ newConfig: String = config(port: 1503), signer: String = "test-signing-key.pem") throws -> Site {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("config-apply-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let site = Site(dir: dir)
        try config(port: 1502).write(to: site.file, atomically: true, encoding: .utf8)
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("config-apply-input-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: input) }
        try newConfig.write(to: input, atomically: true, encoding: .utf8)
        let r = try ChildProcess.run("/usr/bin/env", ["python3", root.appendingPathComponent("Tools/make-config-bundle.py").path, "build",
                                                      "--key", keys.appendingPathComponent(signer).path, "--config", input.path,
                                                      "--version", "42", "--output", site.bundle.path])
        try #require(r.status == 0, "\(r.output)")
        return site
    }

    /// Runs `edge-agent config apply` on the site; returns how it ended (a signal as its number).
    static func apply(_ site: Site, cutAfter step: Int? = nil, extra: [String] = []) throws -> (status: Int32, killed: Bool, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ChildProcess.agentBinary)
        p.arguments = ["config", "apply", site.bundle.path, "--config", site.file.path, "--key", testKey] + extra
        if let step { p.environment = ProcessInfo.processInfo.environment.merging(["EDGE_CONFIG_CUT_AFTER_STEP": "\(step)"]) { $1 } }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, String(decoding: data, as: UTF8.self))
    }

    @Test func aGoodBundleReplacesTheConfigurationAndKeepsTheOldOne() throws {
        let site = try Self.site(); defer { try? FileManager.default.removeItem(at: site.dir) }
        let r = try Self.apply(site)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("is now version 42 (sha256 "), "\(r.output)")
        #expect(r.output.contains("no --pid-file"), "\(r.output)")
        #expect(site.text("agent.json")?.contains("\"port\": 1503") == true)
        #expect(site.text("agent.json")?.contains("\"version\": \"42\"") == true)
        #expect(site.text("agent.json.previous") == Self.config(port: 1502))
        // On trial until the agent has run on it (BUNDLE.md "Trial and rollback").
        #expect(site.files() == ["agent.json", "agent.json.previous", "agent.json.trial", "new.cfgb"])
        #expect(site.text("agent.json.trial")?.contains("version 42\n") == true, "\(site.text("agent.json.trial") ?? "")")
    }

    @Test func aRefusedBundlePrintsEveryReasonWithItsPathAndChangesNothing() throws {
        let invalid = Self.config(port: 70000).replacingOccurrences(of: "\"unit\": 1", with: "\"unit\": 1, \"colour\": 3")
        let site = try Self.site(invalid); defer { try? FileManager.default.removeItem(at: site.dir) }
        let r = try Self.apply(site)
        #expect(r.status == 1)
        #expect(r.output.contains("new.cfgb: buses[0].port"), "\(r.output)")
        #expect(r.output.contains("new.cfgb: devices[0].colour"), "\(r.output)")
        #expect(r.output.contains("refused: nothing changed"), "\(r.output)")
        #expect(site.text("agent.json") == Self.config(port: 1502))
        #expect(site.files() == ["agent.json", "new.cfgb"])

        let foreign = try Self.site(signer: "other-signing-key.pem"); defer { try? FileManager.default.removeItem(at: foreign.dir) }
        let f = try Self.apply(foreign)
        #expect(f.status == 1)
        #expect(f.output.contains("signed by a key this agent does not trust"), "\(f.output)")
        #expect(foreign.text("agent.json") == Self.config(port: 1502))
        #expect(foreign.files() == ["agent.json", "new.cfgb"])
    }

    /// The SHA-256 (hex) of a file's bytes.
    static func sha256(_ file: URL) throws -> String {
        let r = try ChildProcess.run("/usr/bin/sha256sum", [file.path])
        return String(r.output.prefix(64))
    }

    @Test func aKillAtEveryStepLeavesTheOldOrTheNewConfigurationWhole() throws {
        let old = Self.config(port: 1502)
        for step in 0...5 {
            let site = try Self.site(); defer { try? FileManager.default.removeItem(at: site.dir) }
            let r = try Self.apply(site, cutAfter: step)
            #expect(r.killed && r.status == SIGKILL, "step \(step): \(r.output)")
            #expect(r.output.contains("simulated power cut after step \(step)"), "step \(step): \(r.output)")
            let now = try #require(site.text("agent.json"), "step \(step): no configuration at its path")
            if step < 4 {
                #expect(now == old, "step \(step): the old configuration, whole")
            } else {
                #expect(now.contains("\"port\": 1503") && now.contains("\"version\": \"42\""), "step \(step): the new one")
                let data = try JSONSerialization.jsonObject(with: Data(now.utf8)) as? [String: Any]
                #expect(data?["version"] as? String == "42", "step \(step): whole JSON")
            }
            if step >= 1 { #expect(site.text("agent.json.previous") == old, "step \(step): the previous one kept whole") }
            // The trial marker names the new configuration from the first step: it is this file's
            // (a trial at the next start) exactly when the new one is in place.
            let marker = try #require(site.text("agent.json.trial"), "step \(step): no trial marker")
            #expect(marker.contains(try Self.sha256(site.file)) == (step >= 4), "step \(step): \(marker)")
            // Applying again after the cut finishes the job (a leftover temporary file is replaced).
            let again = try Self.apply(site)
            #expect(again.status == 0, "step \(step): \(again.output)")
            #expect(site.text("agent.json")?.contains("\"port\": 1503") == true)
            #expect(site.files() == ["agent.json", "agent.json.previous", "agent.json.trial", "new.cfgb"], "step \(step)")
        }
    }
}
