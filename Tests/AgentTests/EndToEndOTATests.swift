import CShim
import Foundation
import Testing
import TestSupport

/// The agent's start-up side of an A/B upgrade through `edge-agent run` on the qemu board's real
/// board file (file-backed slots and a redundant U-Boot environment under a state directory,
/// checked with Debian's fw_printenv): an order refused without a board, a trial that cannot
/// reach its uplink exits 11 without marking good, a boot after a fallback reports the failure.
/// They need no image, so they run on the host build and on the firmware under qemu-user (`make
/// test`'s firmware-e2e). The upgrade itself (download, activation, trial boot, refusals of
/// images) is `AgentUpgradeTests`, which uses the helpers here.
@Suite(.serialized) struct EndToEndOTATests {
    typealias H = EndToEndHarness
    /// OTAExitStatus.rebootRequested / .healthCheckFailed (Sources/OTA/OTAExitStatus.swift).
    static let rebootRequested: Int32 = 10
    static let healthCheckFailed: Int32 = 11

    static var prerequisitesPresent: Bool {
        H.prerequisitesPresent && FileManager.default.isExecutableFile(atPath: "/usr/bin/fw_printenv")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/fw_setenv")
    }

    /// The upgrade tests need the test key: a host build is given it (`--ota-key`, and the
    /// version it stands in for); the firmware trusts only its compiled-in key and is its own
    /// version, so under EDGE_AGENT_BINARY=Tools/qemu-agent.sh they run only when the firmware
    /// is the test-key build (EDGE_FIRMWARE equal to EDGE_OTA_TEST_FIRMWARE, made by
    /// Tests/OTAFixtures/build-test-firmware.sh). The others (no board, trial deadline, fallback
    /// report) run on any firmware.
    static var hostPrerequisitesPresent: Bool { prerequisitesPresent && (binary.host || testKeyFirmware) }

    static var testKeyFirmware: Bool {
        let env = ProcessInfo.processInfo.environment
        guard let firmware = env["EDGE_FIRMWARE"], let test = env["EDGE_OTA_TEST_FIRMWARE"] else { return false }
        return URL(fileURLWithPath: firmware).standardizedFileURL == URL(fileURLWithPath: test).standardizedFileURL
    }

    /// Whether the binary is a host build, and its version (`edge-agent version`).
    static let binary: (host: Bool, version: String) = {
        guard FileManager.default.isExecutableFile(atPath: H.binary), let r = try? run(H.binary, ["version"]) else { return (false, "") }
        let version = r.output.split(separator: "\n").first.map { String($0.dropFirst("edge-agent ".count)) } ?? ""
        return (r.output.contains("build: host-"), version)
    }()

    /// The version the agent reports: `wanted` on a host build, the firmware's own otherwise.
    static func reported(_ wanted: String) -> String { binary.host ? wanted : binary.version }

    static var keys: URL { H.packageRoot.appendingPathComponent("Tests/OTAFixtures/Keys") }
    static var boardFile: URL { H.packageRoot.appendingPathComponent("Board/qemu-aarch64/board.json") }

    /// The qemu board's devices under `<harness>/state`, with the environment `vars` written by
    /// fw_setenv (what a factory image would hold).
    struct Board {
        let state: URL
        let fwEnvConfig: URL
        let defaults: URL
        var slotA: URL { state.appendingPathComponent("slot-a.img") }
        var slotB: URL { state.appendingPathComponent("slot-b.img") }

        init(_ h: H, vars: [String]) throws {
            state = h.directory.appendingPathComponent("state")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            let env = state.appendingPathComponent("uboot-env.img")
            try Data(count: 0x8000).write(to: env)
            fwEnvConfig = h.directory.appendingPathComponent("fw_env.config")
            try "\(env.path) 0x0 0x4000 0x4000\n\(env.path) 0x4000 0x4000 0x4000\n".write(to: fwEnvConfig, atomically: true, encoding: .utf8)
            defaults = h.directory.appendingPathComponent("default-env.txt")
            try "".write(to: defaults, atomically: true, encoding: .utf8)
            try Data("firmware 1.0.0 in slot A".utf8).write(to: slotA)
            try Data("an older firmware in slot B".utf8).write(to: slotB)
            try setenv(vars)
        }

        func setenv(_ lines: [String]) throws {
            let script = state.deletingLastPathComponent().appendingPathComponent("setenv-\(UUID().uuidString).txt")
            try (lines.joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
            let r = try EndToEndOTATests.run("/usr/bin/fw_setenv", ["-c", fwEnvConfig.path, "-f", defaults.path, "-s", script.path])
            guard r.status == 0 else { throw H.HarnessError.notReady("fw_setenv: \(r.output)") }
        }

        /// name → value as Debian's fw_printenv prints them.
        func printenv() throws -> [String: String] {
            let r = try EndToEndOTATests.run("/usr/bin/fw_printenv", ["-c", fwEnvConfig.path])
            guard r.status == 0 else { throw H.HarnessError.notReady("fw_printenv: \(r.output)") }
            var vars: [String: String] = [:]
            for line in r.output.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                vars[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            return vars
        }
    }

    static func run(_ program: String, _ args: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(program, args)
    }

    /// A signed image made by Tools/make-image.py, written to `www/<name>`; its MD5 (the cloud's `sign`).
    static func image(_ h: H, name: String, version: String, payload: [UInt8], key: String = "test-signing-key.pem") throws -> (url: URL, md5: String, size: Int) {
        let www = h.directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        let input = h.directory.appendingPathComponent("payload-\(name)")
        try Data(payload).write(to: input)
        let output = www.appendingPathComponent(name)
        let r = try run("/usr/bin/env", [H.python, H.packageRoot.appendingPathComponent("Tools/make-image.py").path, "build",
                                         "--key", keys.appendingPathComponent(key).path, "--board", "qemu-aarch64",
                                         "--version", version, "--input", input.path, "--output", output.path])
        guard r.status == 0 else { throw H.HarnessError.notReady("make-image.py: \(r.output)") }
        let md5 = try run("/usr/bin/md5sum", [output.path]).output.split(separator: " ").first.map(String.init) ?? ""
        let size = (try FileManager.default.attributesOfItem(atPath: output.path)[.size] as? NSNumber)?.intValue ?? 0
        return (output, md5, size)
    }

    static func payload(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Tests/OTAFixtures/http-range-server.py serving `<harness>/www` (optionally slowly); its port.
    static func fileServer(_ h: H, rate: Int = 0, extra: [String] = []) throws -> UInt16 {
        let www = h.directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        var args = [H.python, H.packageRoot.appendingPathComponent("Tests/OTAFixtures/http-range-server.py").path, "--dir", www.path]
        if rate > 0 { args += ["--rate", "\(rate)"] }
        args += extra
        let server = try h.launch("/usr/bin/env", args, stdout: true)
        let line = try h.readLine(server, containing: "port ")
        return UInt16(line.split(separator: " ").last.map(String.init) ?? "") ?? 0
    }

    /// `edge-agent run` on the qemu board, booted from `slot`, as firmware `version`. `firmware`:
    /// under Tools/qemu-agent.sh, the firmware binary to run instead of EDGE_FIRMWARE (a slot's).
    static func startAgent(_ h: H, slot: String, version: String, board: Bool = true, stdin: Pipe? = nil,
                           firmware: String? = nil) throws {
        var args = ["run", "--config", h.configFile.path]
        if board {
            args += ["--board", boardFile.path, "--state", h.directory.appendingPathComponent("state").path]
        }
        if binary.host {
            if board { args += ["--ota-key", keys.appendingPathComponent("test-signing-key.der").path] }
            args += ["--firmware-version", version]
        }
        let log = FileHandle(forWritingAtPath: h.agentLog.path) ?? {
            _ = FileManager.default.createFile(atPath: h.agentLog.path, contents: nil)
            return FileHandle(forWritingAtPath: h.agentLog.path)!
        }()
        log.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: H.binary)
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment.merging(["EDGE_CMDLINE": "console=ttyAMA0 edge.slot=\(slot)"]) { $1 }
        if let firmware { environment["EDGE_FIRMWARE"] = firmware }
        p.environment = environment
        p.standardOutput = log
        p.standardError = log
        if let stdin { p.standardInput = stdin }
        try H.unblockingSignals { try p.run() }
        h.agent = p
    }

    /// The agent's exit status once it ended by itself (nil: still running after `timeout` s).
    static func waitForExit(_ h: H, timeout: Double) -> Int32? {
        guard let p = h.agent else { return nil }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        guard !p.isRunning else { return nil }
        h.agent = nil
        return p.terminationReason == .exit ? p.terminationStatus : -p.terminationStatus
    }

    struct Report {
        var method: String
        var step: Int?
        var desc: String
        var version: String?
        var seq: Int
        var time: Int64
    }

    /// Every ota.device.progress / ota.device.inform request the cloud received, in order.
    static func reports(_ h: H) -> [Report] {
        h.records(kind: "request").compactMap { r in
            guard let method = r["method"] as? String, method == "ota.device.progress" || method == "ota.device.inform",
                  let payload = r["payload"] as? [String: Any], let params = payload["params"] as? [String: Any] else { return nil }
            return Report(method: method, step: (params["step"] as? String).flatMap { Int($0) }, desc: params["desc"] as? String ?? "",
                          version: params["version"] as? String, seq: r["seq"] as? Int ?? 0,
                          time: (r["time"] as? NSNumber)?.int64Value ?? 0)
        }
    }

    static func steps(_ h: H, since seq: Int = 0) -> [Int] {
        reports(h).filter { $0.method == "ota.device.progress" && $0.seq >= seq }.compactMap { $0.step }
    }

    static func waitForReport(_ h: H, timeout: Double, _ match: (Report) -> Bool) -> Report? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let r = reports(h).first(where: match) { return r }
            usleep(100_000)
        } while Date() < deadline
        return nil
    }

    static func order(_ h: H, id: String, version: String, url: String, md5: String, size: Int) throws -> [String: Any]? {
        let r = try h.cloud(["cmd": "inject", "productKey": "gwPK", "deviceKey": "gw1", "method": "ota.device.upgrade", "id": id,
                             "params": ["version": version, "sign": md5, "signMethod": "md5", "fileUrl": url, "fileSize": size]])
        #expect(r["ok"] as? Bool == true, "\(r)")
        return h.commandReply(id: id, timeout: 15)
    }

    func agentLog(_ h: H) -> String { Self.log(h) }
    static func log(_ h: H) -> String { (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? "" }

    // MARK: Tests

    @Test(.enabled(if: EndToEndOTATests.prerequisitesPresent))
    func withoutABoardAnOrderIsRefusedWithItsCode() throws {
        let h = try H()
        try h.writeConfig()
        try Self.startAgent(h, slot: "A", version: "1.0.0", board: false)
        try #require(h.waitFor(20) { !$0.isEmpty }, "no data: \(agentLog(h))")
        let reply = try Self.order(h, id: "nb-1", version: "2.0.0", url: "http://127.0.0.1:1/fw.img",
                                   md5: "00112233445566778899aabbccddeeff", size: 1000)
        #expect(reply?["code"] as? Int == 2101, "\(String(describing: reply))")
        #expect((reply?["message"] as? String)?.contains("no A/B slots") == true, "\(String(describing: reply))")
        let refused = Self.waitForReport(h, timeout: 15) { $0.step != nil }
        #expect(refused?.step == -5, "\(String(describing: refused))")
        #expect(h.agentIsRunning)
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }

    @Test(.enabled(if: EndToEndOTATests.prerequisitesPresent))
    func aTrialThatCannotReachItsUplinkExitsWithoutMarkingGood() throws {
        let h = try H()
        try h.writeConfig(extra: #", "ota": {"trialTimeoutMs": 2000}"#)
        let board = try Board(h, vars: ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=2", "EDGE_TRIAL=B", "EDGE_VERSION_B=2.0.0"])
        try h.relay("cut")
        try Self.startAgent(h, slot: "B", version: "2.0.0")
        let status = Self.waitForExit(h, timeout: 30)
        #expect(status == Self.healthCheckFailed, "\(String(describing: status))\n\(agentLog(h).suffix(2000))")
        #expect(agentLog(h).contains("health check failed: no uplink"), "\(agentLog(h).suffix(2000))")
        let vars = try board.printenv()
        #expect(vars["EDGE_TRIAL"] == "B" && vars["BOOT_B_LEFT"] == "2" && vars["BOOT_ORDER"] == "B A", "\(vars)")
    }

    @Test(.enabled(if: EndToEndOTATests.prerequisitesPresent))
    func afterAFallbackTheOldFirmwareReportsTheFailedUpgrade() throws {
        let h = try H()
        try h.writeConfig()
        // B ran out of attempts without being marked good; U-Boot booted A.
        let board = try Board(h, vars: ["BOOT_ORDER=B A", "BOOT_A_LEFT=2", "BOOT_B_LEFT=0", "EDGE_TRIAL=B", "EDGE_VERSION_B=2.0.0"])
        try Self.startAgent(h, slot: "A", version: "1.0.0")
        let failure = Self.waitForReport(h, timeout: 30) { $0.step != nil }
        #expect(failure?.step == -1 && failure?.desc.contains("2.0.0") == true, "\(String(describing: failure))\n\(agentLog(h).suffix(2000))")
        if let failure {
            let inform = Self.waitForReport(h, timeout: 20) { $0.seq > failure.seq && $0.method == "ota.device.inform" }
            #expect(inform?.version == Self.reported("1.0.0"), "\(String(describing: inform))")
        }
        let vars = try board.printenv()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["EDGE_TRIAL"] == nil && vars["BOOT_A_LEFT"] == "3", "\(vars)")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
