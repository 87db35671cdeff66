import CShim
import Foundation
import TestSupport
import Testing

/// Cloud-ordered upgrades through `edge-agent run` on the qemu board's board file (helpers in
/// `EndToEndOTATests`): the cloud simulator pushes `ota.device.upgrade` pointing at a local
/// HTTP(S) server, the agent downloads (through a cut, resumed) while it keeps publishing,
/// reports progress, activates slot B (checked with Debian's fw_printenv) and exits with the
/// reboot status; started again "from slot B on trial" it passes its health check, marks the slot
/// good and reports 100 and the new version. Also: a second order refused while one runs, an
/// https:// order against the configured CA, a technician's install from the console, a download
/// kept across SIGHUP and cancelled by SIGTERM, a bad signature refused with nothing activated.
///
/// They need the test key: a host build is given it (`--ota-key`); the firmware trusts only its
/// compiled-in key, so with EDGE_AGENT_BINARY=Tools/qemu-agent.sh they run only when the
/// firmware is the test-key build (EDGE_FIRMWARE = EDGE_OTA_TEST_FIRMWARE, made by
/// Tests/OTAFixtures/build-test-firmware.sh) and skip otherwise. On the firmware, the full
/// upgrade also needs the next release (EDGE_OTA_TEST_FIRMWARE_V2, the same sources built with a
/// higher version): it is the image's payload, and the trial boot runs what slot B then holds.
/// `make ota-firmware-test` (part of `make test`) sets them and fails on a skip. Not named
/// EndToEnd*: `make test`'s firmware-e2e runs those with the plain firmware and fails on a skip.
@Suite(.serialized) struct AgentUpgradeTests {
    typealias H = EndToEndHarness
    typealias E = EndToEndOTATests

    /// Under the test-key firmware: the v2 build (EDGE_OTA_TEST_FIRMWARE_V2) and its own version.
    static let firmwareV2: (path: String, version: String)? = {
        guard !E.binary.host, E.testKeyFirmware, let path = ProcessInfo.processInfo.environment["EDGE_OTA_TEST_FIRMWARE_V2"],
              FileManager.default.isExecutableFile(atPath: path),
              let r = try? E.run("/usr/bin/env", [ProcessInfo.processInfo.environment["QEMU"] ?? "qemu-aarch64", path, "version"]),
              r.status == 0, let line = r.output.split(separator: "\n").first, line.hasPrefix("edge-agent ") else { return nil }
        return (path, String(line.dropFirst("edge-agent ".count)))
    }()

    /// On the firmware, the new release is the v2 build itself: the trial boot runs slot B's bytes
    /// and reports the version compiled into them. On the host, a random payload stands for it.
    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent && (EndToEndOTATests.binary.host || AgentUpgradeTests.firmwareV2 != nil)))
    func anOrderIsDownloadedWhilePublishingActivatedAndCommittedAfterTheTrialBoot() throws {
        let h = try H()
        try h.writeConfig(extra: #", "ota": {"trialTimeoutMs": 60000, "rebootDelayMs": 10000}"#)
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let v2 = Self.firmwareV2
        let payload = try v2.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0.path))) } ?? E.payload(1_200_000)
        let newVersion = v2?.version ?? "2.0.0"
        let image = try E.image(h, name: "fw-2.0.0.img", version: newVersion, payload: payload)
        // About 4 s for the image; the first response is cut after 400,000 bytes (resumed with Range).
        let port = try E.fileServer(h, rate: 300_000, extra: ["--drop-after", "400000", "--drops", "1"])
        try E.startAgent(h, slot: "A", version: "1.0.0")
        try #require(h.waitFor(20) { $0.count >= 4 }, "no data before the order: \(E.log(h))")

        let url = "http://127.0.0.1:\(port)/fw-2.0.0.img"
        let reply = try E.order(h, id: "ota-1", version: newVersion, url: url, md5: image.md5, size: image.size)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        #expect(reply?["data"] as? String == "", "spec §7.2: data is an empty string")
        // A second order while the first downloads is refused; the first goes on.
        let second = try E.order(h, id: "ota-2", version: newVersion, url: url, md5: image.md5, size: image.size)
        #expect(second?["code"] as? Int == 2102, "\(String(describing: second))")

        let status = E.waitForExit(h, timeout: 90)
        #expect(status == E.rebootRequested, "agent did not exit with the reboot status: \(String(describing: status))\n\(E.log(h).suffix(3000))")
        let steps = E.steps(h)
        #expect(steps.first == 0 && steps.suffix(3) == [80, 85, 95], "\(steps)")
        #expect(steps == steps.sorted() && steps.allSatisfy { $0 >= 0 }, "\(steps)")
        #expect(steps.count >= 5, "download steps reported: \(steps)")

        // Data kept flowing while the image downloaded (between steps 0 and 80 at the cloud).
        let reports = E.reports(h)
        if let started = reports.first(where: { $0.step == 0 }), let downloaded = reports.first(where: { $0.step == 80 }) {
            let during = h.entries().filter { $0.arrival > started.time && $0.arrival < downloaded.time }
            #expect(downloaded.time - started.time >= 2_000, "the slow download took \(downloaded.time - started.time) ms")
            #expect(during.count >= 4, "only \(during.count) samples arrived during a \(downloaded.time - started.time) ms download")
        } else {
            Issue.record("no steps 0 and 80: \(steps)")
        }

        let requests = ((try? FileManager.default.contentsOfDirectory(atPath: h.directory.path)) ?? [])
            .filter { $0.hasPrefix("process-") }
            .compactMap { try? String(contentsOf: h.directory.appendingPathComponent($0), encoding: .utf8) }
            .joined().split(separator: "\n").filter { $0.hasPrefix("GET /fw-2.0.0.img") }
        #expect(requests.contains { $0.hasSuffix("bytes=400000-") }, "the cut download was not resumed with Range: \(requests)")
        #expect(Array(try Data(contentsOf: board.slotB)) == payload, "slot B does not hold the new payload")
        #expect(Array(try Data(contentsOf: board.slotA)) == Array("firmware 1.0.0 in slot A".utf8), "the booted slot was written")
        var vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["BOOT_B_LEFT"] == "3" && vars["EDGE_TRIAL"] == "B"
                && vars["EDGE_VERSION_B"] == newVersion, "\(vars)")
        let log = E.log(h)
        #expect(log.contains("ota: rebooting into the new slot"), "\(log.suffix(2000))")

        // U-Boot's bootchooser boots B and takes one attempt; the "new firmware" starts on trial.
        try board.setenv(["BOOT_B_LEFT=2"])
        let before = (h.records(kind: "request").last?["seq"] as? Int ?? 0) + 1
        // On the firmware, what boots is slot B's content (a bootloader needs no execute bit; qemu-agent.sh does).
        if v2 != nil { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: board.slotB.path) }
        try E.startAgent(h, slot: "B", version: newVersion, firmware: v2 == nil ? nil : board.slotB.path)
        let done = E.waitForReport(h, timeout: 60) { $0.seq >= before && $0.step == 100 }
        #expect(done != nil, "no progress 100 after the trial boot: \(E.steps(h, since: before))\n\(E.log(h).suffix(3000))")
        if let done {
            let inform = E.waitForReport(h, timeout: 20) { $0.seq > done.seq && $0.method == "ota.device.inform" }
            #expect(inform?.version == newVersion, "\(String(describing: inform))")
        }
        vars = try board.printenv()
        #expect(vars["EDGE_TRIAL"] == nil && vars["BOOT_B_LEFT"] == "3" && vars["BOOT_ORDER"] == "B A", "\(vars)")
        #expect(h.agentIsRunning)
        // Still collecting after the commit.
        let now = H.nowMs()
        #expect(h.waitFor(20) { $0.contains { $0.arrival > now } }, "no data after the commit")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    /// A gateway as its bootloader runs it: Tests/OTAFixtures/boot-simulator.py (U-Boot's
    /// bootchooser through Debian's fw_printenv/fw_setenv) picks a slot, takes one attempt and
    /// execs that slot's bytes under qemu-aarch64 as `edge-agent run`. v1 in slot A takes the
    /// cloud's order for v2 and exits to reboot; the bootloader boots v2 from slot B on trial,
    /// which commits and informs its own version; v2 takes an order for v3, whose configuration
    /// sends the uplink to a closed port: three boots miss the trial deadline (exit 11), the
    /// counter runs out, v2 comes back and reports the failed upgrade. Firmware only: the slots
    /// hold the v1 and v2 builds.
    @Test(.enabled(if: EndToEndOTATests.prerequisitesPresent && AgentUpgradeTests.firmwareV2 != nil))
    func theBootloaderRunsEachSlotsFirmwareThroughAnUpgradeAndARollback() throws {
        let h = try H()
        try h.writeConfig(extra: #", "ota": {"trialTimeoutMs": 60000, "rebootDelayMs": 10000}"#)
        let v2 = try #require(Self.firmwareV2)
        let v2Bytes = Array(try Data(contentsOf: URL(fileURLWithPath: v2.path)))
        let v1Path = try #require(ProcessInfo.processInfo.environment["EDGE_FIRMWARE"])
        let parts = v2.version.split(separator: ".").map { Int($0) ?? 0 }
        let v3Version = "\(parts.first ?? 0).\((parts.count > 1 ? parts[1] : 0) + 1).0"
        // v3's configuration: the uplink on a closed port, a short trial.
        let good = try String(contentsOf: h.configFile, encoding: .utf8)
        let badText = good.replacingOccurrences(of: "\"port\": \(h.relayPort),", with: "\"port\": 1,")
            .replacingOccurrences(of: "\"trialTimeoutMs\": 60000", with: "\"trialTimeoutMs\": 3000")
        try #require(badText.contains("\"port\": 1,") && badText.contains("\"trialTimeoutMs\": 3000"), "\(badText)")
        let bad = h.directory.appendingPathComponent("agent-v3.json")
        try badText.write(to: bad, atomically: true, encoding: .utf8)
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=0", "EDGE_VERSION_A=\(E.binary.version)"])
        try FileManager.default.removeItem(at: board.slotA)
        try FileManager.default.copyItem(atPath: v1Path, toPath: board.slotA.path)

        func run(_ config: URL) -> String { "run --config \(config.path) --board \(E.boardFile.path) --state \(board.state.path)" }
        func boot() throws {
            // A firmware still running here already failed an expectation: power it off.
            if h.agentIsRunning { h.stopAgent(signal: SIGKILL) }
            let log = FileHandle(forWritingAtPath: h.agentLog.path) ?? {
                _ = FileManager.default.createFile(atPath: h.agentLog.path, contents: nil)
                return FileHandle(forWritingAtPath: h.agentLog.path)!
            }()
            log.seekToEndOfFile()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [H.python, H.packageRoot.appendingPathComponent("Tests/OTAFixtures/boot-simulator.py").path,
                           "--config", board.fwEnvConfig.path, "--slot", "A=\(board.slotA.path)", "--slot", "B=\(board.slotB.path)",
                           "--runner", ProcessInfo.processInfo.environment["QEMU"] ?? "qemu-aarch64", "--exec",
                           "--args", run(h.configFile), "--version-args", "\(v3Version)=\(run(bad))"]
            p.standardOutput = log
            p.standardError = log
            try H.unblockingSignals { try p.run() }
            h.agent = p
        }
        /// The slot of the last boot, from the simulator's "boot: slot X, …" line.
        func booted() -> String? {
            E.log(h).split(separator: "\n").last { $0.hasPrefix("boot: slot ") }.map { String($0.dropFirst("boot: slot ".count).prefix(1)) }
        }
        func nextSeq() -> Int { (h.records(kind: "request").last?["seq"] as? Int ?? 0) + 1 }
        let port = try E.fileServer(h)

        // v1 from slot A takes the order for v2.
        try boot()
        try #require(h.waitFor(30) { !$0.isEmpty }, "v1 sent no data: \(E.log(h).suffix(3000))")
        #expect(booted() == "A", "\(E.log(h).suffix(2000))")
        let image2 = try E.image(h, name: "v2.img", version: v2.version, payload: v2Bytes)
        var reply = try E.order(h, id: "up-2", version: v2.version, url: "http://127.0.0.1:\(port)/v2.img", md5: image2.md5, size: image2.size)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        var status = E.waitForExit(h, timeout: 90)
        try #require(status == E.rebootRequested, "\(String(describing: status))\n\(E.log(h).suffix(3000))")
        #expect(Array(try Data(contentsOf: board.slotB)) == v2Bytes, "slot B does not hold v2")

        // The bootloader boots v2 from slot B on trial: it commits and informs its own version.
        var before = nextSeq()
        try boot()
        let done = E.waitForReport(h, timeout: 60) { $0.seq >= before && $0.step == 100 }
        try #require(done != nil, "no progress 100 from v2: \(E.steps(h, since: before))\n\(E.log(h).suffix(3000))")
        #expect(booted() == "B", "\(E.log(h).suffix(2000))")
        let inform = E.waitForReport(h, timeout: 20) { $0.seq > done!.seq && $0.method == "ota.device.inform" }
        #expect(inform?.version == v2.version, "\(String(describing: inform))")
        var vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["BOOT_B_LEFT"] == "3" && vars["EDGE_TRIAL"] == nil, "\(vars)")
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(E.log(h).suffix(2000))")

        // v2, committed, boots again and takes the order for v3.
        try boot()
        let now = H.nowMs()
        try #require(h.waitFor(30) { $0.contains { $0.arrival > now } }, "v2 sent no data: \(E.log(h).suffix(3000))")
        #expect(booted() == "B", "\(E.log(h).suffix(2000))")
        let image3 = try E.image(h, name: "v3.img", version: v3Version, payload: v2Bytes)
        reply = try E.order(h, id: "up-3", version: v3Version, url: "http://127.0.0.1:\(port)/v3.img", md5: image3.md5, size: image3.size)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        status = E.waitForExit(h, timeout: 90)
        try #require(status == E.rebootRequested, "\(String(describing: status))\n\(E.log(h).suffix(3000))")
        vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["EDGE_TRIAL"] == "A" && vars["EDGE_VERSION_A"] == v3Version, "\(vars)")

        // v3 never reaches its uplink: each boot misses its deadline, until A's counter runs out.
        for attempt in 1...3 {
            try boot()
            status = E.waitForExit(h, timeout: 60)
            #expect(status == E.healthCheckFailed, "attempt \(attempt): \(String(describing: status))\n\(E.log(h).suffix(2000))")
            #expect(booted() == "A", "attempt \(attempt): \(E.log(h).suffix(2000))")
        }
        before = nextSeq()
        try boot()
        let failed = E.waitForReport(h, timeout: 60) { $0.seq >= before && ($0.step ?? 0) < 0 }
        #expect(booted() == "B", "\(E.log(h).suffix(2000))")
        #expect(failed?.step == -1 && failed?.desc.contains("upgrade to \(v3Version) failed") == true,
                "\(String(describing: failed))\n\(E.log(h).suffix(3000))")
        if let failed {
            let back = E.waitForReport(h, timeout: 20) { $0.seq > failed.seq && $0.method == "ota.device.inform" }
            #expect(back?.version == v2.version, "\(String(describing: back))")
        }
        vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["BOOT_A_LEFT"] == "0" && vars["BOOT_B_LEFT"] == "3" && vars["EDGE_TRIAL"] == nil, "\(vars)")
        #expect(h.agentIsRunning, "\(E.log(h).suffix(2000))")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent))
    func aTechnicianInstallsFromTheConsole() throws {
        let h = try H()
        try h.writeConfig(extra: #", "console": {"input": "stdin"}"#)
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let payload = E.payload(300_000)
        _ = try E.image(h, name: "local.img", version: "2.1.0", payload: payload)
        let port = try E.fileServer(h)
        let input = Pipe()
        try E.startAgent(h, slot: "A", version: "1.0.0", stdin: input)
        try #require(h.waitFor(20) { !$0.isEmpty }, "no data: \(E.log(h))")
        input.fileHandleForWriting.write("ota status\n".data(using: .utf8)!)
        let deadline = Date().addingTimeInterval(15)
        while !E.log(h).contains("booted: A (kernel command line)") && Date() < deadline { usleep(100_000) }
        let status = E.log(h)
        #expect(status.contains("BOOT_ORDER: A B") && status.contains("booted: A (kernel command line)")
                && status.contains("state: primary"), "\(status.suffix(2000))")
        input.fileHandleForWriting.write("ota install http://127.0.0.1:\(port)/local.img\n".data(using: .utf8)!)
        let exit = E.waitForExit(h, timeout: 60)
        let log = E.log(h)
        #expect(exit == E.rebootRequested, "\(String(describing: exit))\n\(log.suffix(3000))")
        #expect(log.contains("ota: 85% firmware 2.1.0 verified") && log.contains("ota: 95% slot B activated"), "\(log.suffix(3000))")
        #expect(Array(try Data(contentsOf: board.slotB)) == payload)
        let vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["EDGE_TRIAL"] == "B" && vars["EDGE_VERSION_B"] == "2.1.0", "\(vars)")
        #expect(E.steps(h).isEmpty, "a technician's install reports to the console, not to the cloud: \(E.steps(h))")
    }

    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent && CertificateDirectory.isAvailable))
    func anHTTPSOrderIsVerifiedAgainstTheConfiguredCA() throws {
        let h = try H()
        let certs = try CertificateDirectory(prefix: "agent-ota-tls")
        defer { withExtendedLifetime(certs) {} }   // the agent reads ca.crt when the download starts
        try certs.makeCA(subject: "/CN=agent ota test ca", key: .p256)
        try certs.makeCertificate("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost\n", key: .p256)
        let ca = certs.path("ca.crt")
        try h.writeConfig(extra: #", "ota": {"caFile": "\#(ca)", "rebootDelayMs": 10000}"#)
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let payload = E.payload(200_000)
        let image = try E.image(h, name: "fw-tls.img", version: "2.0.1", payload: payload)
        let port = try E.fileServer(h, extra: ["--cert", certs.path("server.crt"), "--key", certs.path("server.key")])
        try E.startAgent(h, slot: "A", version: "1.0.0")
        try #require(h.waitFor(20) { !$0.isEmpty }, "no data: \(E.log(h))")
        let reply = try E.order(h, id: "tls-1", version: "2.0.1", url: "https://localhost:\(port)/fw-tls.img", md5: image.md5,
                                   size: image.size)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        let status = E.waitForExit(h, timeout: 60)
        #expect(status == E.rebootRequested, "\(String(describing: status))\n\(E.log(h).suffix(3000))")
        #expect(E.steps(h).suffix(3) == [80, 85, 95], "\(E.steps(h))")
        #expect(Array(try Data(contentsOf: board.slotB)) == payload)
        #expect(try board.printenv()["BOOT_ORDER"] == "B A")
    }

    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent))
    func aDownloadGoesOnAcrossSIGHUPAndSIGTERMCancelsIt() throws {
        let h = try H()
        try h.writeConfig()
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let image = try E.image(h, name: "slow.img", version: "2.0.0", payload: E.payload(1_500_000))
        let port = try E.fileServer(h, rate: 150_000)   // about 10 s
        try E.startAgent(h, slot: "A", version: "1.0.0")
        try #require(h.waitFor(20) { !$0.isEmpty }, "no data: \(E.log(h))")
        let reply = try E.order(h, id: "slow-1", version: "2.0.0", url: "http://127.0.0.1:\(port)/slow.img", md5: image.md5,
                                   size: image.size)
        #expect(reply?["code"] as? Int == 200)
        try #require(E.waitForReport(h, timeout: 20) { ($0.step ?? 0) >= 11 } != nil, "\(E.steps(h))")
        kill(h.agent!.processIdentifier, SIGHUP)
        let reloaded = Date().addingTimeInterval(15)
        while !E.log(h).contains("configuration reloaded") && Date() < reloaded { usleep(100_000) }
        #expect(E.log(h).contains("configuration reloaded"), "\(E.log(h).suffix(2000))")
        let before = E.steps(h).max() ?? 0
        let advanced = E.waitForReport(h, timeout: 20) { ($0.step ?? 0) > before && ($0.step ?? 0) < 80 }
        #expect(advanced != nil, "the download did not go on after the reload: \(E.steps(h))")
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(E.log(h).suffix(2000))")
        let cancelled = E.waitForReport(h, timeout: 10) { $0.step == -1 }
        #expect(cancelled?.desc.contains("cancelled") == true, "\(E.steps(h)) \(String(describing: cancelled))")
        #expect(!E.steps(h).contains(95))
        let vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_B_LEFT"] == "0" && vars["EDGE_TRIAL"] == nil, "\(vars)")
    }

    @Test(.enabled(if: EndToEndOTATests.hostPrerequisitesPresent))
    func aBadSignatureIsRefusedNothingIsActivatedAndTheAgentKeepsRunning() throws {
        let h = try H()
        try h.writeConfig()
        let board = try E.Board(h, vars: ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let image = try E.image(h, name: "tampered.img", version: "2.0.0", payload: E.payload(200_000),
                                   key: "other-signing-key.pem")
        let port = try E.fileServer(h)
        try E.startAgent(h, slot: "A", version: "1.0.0")
        try #require(h.waitFor(20) { $0.count >= 2 }, "no data before the order: \(E.log(h))")
        let reply = try E.order(h, id: "bad-1", version: "2.0.0", url: "http://127.0.0.1:\(port)/tampered.img",
                                   md5: image.md5, size: image.size)
        #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
        let failure = E.waitForReport(h, timeout: 30) { ($0.step ?? 0) < 0 }
        #expect(failure?.step == -3, "\(E.steps(h))\n\(E.log(h).suffix(2000))")
        #expect(failure?.desc.contains("signature") == true, "\(String(describing: failure))")
        #expect(!E.steps(h).contains(95))
        let vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_A_LEFT"] == "3" && vars["BOOT_B_LEFT"] == "0" && vars["EDGE_TRIAL"] == nil,
                "a refused image must leave A booting and B unbootable: \(vars)")
        #expect(h.agentIsRunning, "\(E.log(h).suffix(2000))")
        let after = H.nowMs()
        #expect(h.waitFor(20) { $0.contains { $0.arrival > after } }, "no data after the refusal")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
