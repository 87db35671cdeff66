import Foundation
import Testing

/// `thing.service.applyConfiguration` by file reference (`{fileUri, size, sign, signMethod}`) end
/// to end (mosquitto, the cloud simulator, pymodbus, the OTA tests' HTTP range server): the agent
/// downloads the bundle like a firmware image, then installs it as an inline bundle and answers
/// once the outcome is known; a missing file, a wrong size, a size above the largest bundle, a
/// wrong digest and a tampered bundle are answered with the reason and change nothing.
@Suite(.serialized) struct EndToEndCloudConfigFileTests {
    typealias H = EndToEndHarness
    typealias C = EndToEndCloudConfigTests

    /// `bundle` written to the file server's directory as `name`; its size and MD5.
    func publish(_ h: H, _ bundle: Data, as name: String) throws -> (size: Int, md5: String) {
        let www = h.directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        let file = www.appendingPathComponent(name)
        try bundle.write(to: file)
        let md5 = try EndToEndOTATests.run("/usr/bin/md5sum", [file.path]).output.split(separator: " ").first.map(String.init) ?? ""
        return (bundle.count, md5)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "bundles signed with the test key: a host build given --ota-key, or the firmware built with the test key"))
    func aBundleByURLIsDownloadedAndInstalled() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        let port = try EndToEndOTATests.fileServer(h)
        try h.startAgent(arguments: C.agentArguments)
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(h.agentLogText().suffix(2000))")
        let original = try String(contentsOf: h.configFile, encoding: .utf8)
        let next = original.replacingOccurrences(of: #""status": {"intervalMs": 2000}"#, with: #""status": {"intervalMs": 1000}"#)
        try #require(next != original)
        let signed = try C().bundle(h, next, version: "by-url-1")
        let served = try publish(h, signed, as: "site.cfgb")

        let beforeApply = h.logMark()
        let reply = try C().call(h, "applyConfiguration", ["fileUri": "http://127.0.0.1:\(port)/site.cfgb", "size": served.size,
                                                           "sign": served.md5, "signMethod": "md5"], id: "by-url")
        #expect(reply["code"] as? Int == 200, "\(reply)\n\(h.agentLogText().suffix(2500))")
        let data = reply["data"] as? [String: Any]
        #expect(data?["version"] as? String == "by-url-1", "\(reply)")
        #expect(data?["sha256"] as? String == (try C().sha256(h.configFile)), "\(reply)")
        try h.waitForLog(after: beforeApply, ["configuration reloaded"], timeout: 10)
        #expect(try String(contentsOf: h.configFile, encoding: .utf8).contains(#""intervalMs": 1000"#))
        #expect(try String(contentsOf: h.configFile.appendingPathExtension("previous"), encoding: .utf8) == original)
        // The downloaded bundle is kept beside the file it installed; no temporary is left.
        #expect(try Data(contentsOf: h.configFile.appendingPathExtension("bundle")) == signed)
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".bundle.tmp"))
        try h.waitForLog(after: beforeApply, ["version by-url-1 passed its trial"], timeout: 20)
        #expect(h.agentIsRunning, "the agent died: \(h.agentLogText().suffix(2500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent && (EndToEndOTATests.binary.host || EndToEndOTATests.testKeyFirmware),
                   "bundles signed with the test key: a host build given --ota-key, or the firmware built with the test key"))
    func refusedDownloadsAreAnsweredWithTheReasonAndChangeNothing() throws {
        let h = try H()
        try h.writeConfig(intervalMs: 200)
        let port = try EndToEndOTATests.fileServer(h)
        try h.startAgent(arguments: C.agentArguments)
        let live = h.waitFor(20) { es in Set(es.filter { $0.method.hasSuffix("post.batch") }.map(\.device)) == ["meter1", "meter2"] }
        try #require(live, "no live data: \(h.agentLogText().suffix(2000))")
        let original = try Data(contentsOf: h.configFile)
        let good = try C().bundle(h, String(decoding: original, as: UTF8.self), version: "good-1")
        let served = try publish(h, good, as: "good.cfgb")
        var tampered = good
        let plant = try #require(good.range(of: Data("\"plant\"".utf8))).lowerBound
        tampered[plant + 1] = UInt8(ascii: "P")
        let tamperedServed = try publish(h, tampered, as: "tampered.cfgb")
        let url = "http://127.0.0.1:\(port)/"

        let cases: [(String, [String: Any], Int, [String])] = [
            ("missing file", ["fileUri": url + "absent.cfgb", "size": served.size], 2105, ["HTTP status 404", "nothing changed"]),
            ("wrong size", ["fileUri": url + "good.cfgb", "size": served.size + 1], 2105, ["\(served.size) bytes", "announced \(served.size + 1)"]),
            ("too large", ["fileUri": url + "good.cfgb", "size": 2_000_000], 2105, ["larger than the largest"]),
            ("wrong digest", ["fileUri": url + "good.cfgb", "size": served.size, "sign": String(repeating: "0", count: 32)], 2105,
             ["digest is not the announced sign"]),
            ("tampered", ["fileUri": url + "tampered.cfgb", "size": tamperedServed.size, "sign": tamperedServed.md5], 2101,
             ["changed after it was signed"]),
            ("no size", ["fileUri": url + "good.cfgb"], 2013, ["size: missing"]),
            ("no broker", ["fileUri": "enos-connect://good.cfgb", "size": served.size], 2105, ["cloud.httpBroker is not set"]),
        ]
        for (i, (name, params, code, reasons)) in cases.enumerated() {
            let reply = try C().call(h, "applyConfiguration", params, id: "file-refused-\(i)")
            #expect(reply["code"] as? Int == code, "\(name): \(reply)\n\(h.agentLogText().suffix(1500))")
            let message = reply["message"] as? String ?? ""
            for reason in reasons { #expect(message.contains(reason), "\(name): \(reply)") }
        }
        #expect(try Data(contentsOf: h.configFile) == original, "the configuration file changed")
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".previous"))
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".bundle"))
        #expect(!FileManager.default.fileExists(atPath: h.configFile.path + ".bundle.tmp"))
        #expect(!h.agentLogText().contains("configuration reloaded"))
        #expect(h.agentIsRunning, "the agent died: \(h.agentLogText().suffix(2500))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
