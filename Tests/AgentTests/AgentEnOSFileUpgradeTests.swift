import CShim
import Foundation
import Testing

/// Cloud-ordered upgrades whose `fileUrl` is an EnOS file (`enos-connect://…`), fetched through
/// the cloud simulator's EnOS HTTP broker (authentication with the gateway's sign, then
/// `file/download` with the session, as the Java SDK does it), through `edge-agent run` on the
/// qemu board's board file (helpers in `EndToEndOTATests`). Host build only: it needs the test
/// key (`--ota-key`), like `AgentUpgradeTests`.
@Suite(.serialized) struct AgentEnOSFileUpgradeTests {
    typealias H = EndToEndHarness
    typealias E = EndToEndOTATests

    /// The harness's configuration with `cloud.httpBroker` pointing at the simulator's broker.
    static func writeConfig(_ h: H, brokerPort: Int?) throws {
        try h.writeConfig(extra: #", "ota": {"trialTimeoutMs": 60000, "rebootDelayMs": 10000}"#)
        guard let brokerPort else { return }
        let text = try String(contentsOf: h.configFile, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"connectWindowMs\": 1200,",
                                               with: "\"connectWindowMs\": 1200, \"httpBroker\": \"http://127.0.0.1:\(brokerPort)\",")
        try #require(edited != text, "no cloud.connectWindowMs in the harness's configuration")
        try edited.write(to: h.configFile, atomically: true, encoding: .utf8)
    }

    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent && EndToEndOTATests.binary.host))
    func anEnOSConnectOrderIsDownloadedThroughTheHTTPBrokerResumedAndInstalled() throws {
        let h = try H()
        let www = h.directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        // The first file response is cut after 400,000 bytes: the agent resumes with Range.
        let started = try h.cloud(["cmd": "http_broker", "dir": www.path, "dropAfter": 400_000, "drops": 1])
        let port = try #require(started["port"] as? Int, "\(started)")
        try Self.writeConfig(h, brokerPort: port)
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let payload = E.payload(1_000_000)
        let image = try E.image(h, name: "fw-2.0.0.img", version: "2.0.0", payload: payload)
        try E.startAgent(h, slot: "A", version: "1.0.0")
        try #require(h.waitFor(20) { $0.count >= 2 }, "no data before the order: \(E.log(h))")

        let reply = try E.order(h, id: "enos-1", version: "2.0.0", url: "enos-connect://fw-2.0.0.img", md5: image.md5, size: image.size)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        let status = E.waitForExit(h, timeout: 90)
        #expect(status == E.rebootRequested, "agent did not exit with the reboot status: \(String(describing: status))\n\(E.log(h).suffix(3000))")
        let steps = E.steps(h)
        #expect(steps.first == 0 && steps.suffix(3) == [80, 85, 95], "\(steps)\n\(E.log(h).suffix(2000))")
        #expect(Array(try Data(contentsOf: board.slotB)) == payload, "slot B does not hold the new payload")
        let vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["EDGE_TRIAL"] == "B" && vars["EDGE_VERSION_B"] == "2.0.0", "\(vars)")

        let auths = h.records(kind: "http_auth")
        #expect(!auths.isEmpty && auths.allSatisfy { $0["signOk"] as? Bool == true && $0["productKey"] as? String == "gwPK"
                                                      && $0["deviceKey"] as? String == "gw1" }, "\(auths)")
        let downloads = h.records(kind: "http_download")
        #expect(downloads.allSatisfy { $0["fileUri"] as? String == "enos-connect://fw-2.0.0.img" && $0["category"] as? String == "ota" },
                "\(downloads)")
        #expect(downloads.first?["status"] as? Int == 200 && downloads.first?["range"] is NSNull, "\(downloads)")
        #expect(downloads.contains { $0["range"] as? String == "bytes=400000-" && $0["status"] as? Int == 206 },
                "the cut download was not resumed with Range: \(downloads)")
    }

    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent && EndToEndOTATests.binary.host))
    func anEnOSFileOrderWithoutAnHTTPBrokerFailsNamingTheSetting() throws {
        let h = try H()
        try Self.writeConfig(h, brokerPort: nil)
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        try E.startAgent(h, slot: "A", version: "1.0.0")
        try #require(h.waitFor(20) { !$0.isEmpty }, "no data before the order: \(E.log(h))")
        let reply = try E.order(h, id: "enos-2", version: "2.0.0", url: "/gwPK/ota/fw-2.0.0.img",
                                md5: "00112233445566778899aabbccddeeff", size: 1000)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        let failure = E.waitForReport(h, timeout: 20) { $0.step != nil && $0.step! < 0 }
        #expect(failure?.step == -2 && failure?.desc.contains("cloud.httpBroker is not set") == true,
                "\(String(describing: failure))\n\(E.log(h).suffix(2000))")
        let log = E.log(h)
        #expect(log.components(separatedBy: "cloud.httpBroker is not set").count - 1 >= 1, "\(log.suffix(2000))")
        #expect(Array(try Data(contentsOf: board.slotB)) == Array("an older firmware in slot B".utf8), "slot B was written")
        #expect(h.agentIsRunning)
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
