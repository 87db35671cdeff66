import Foundation
import OTA
import Testing

/// The test-key firmware named by EDGE_OTA_TEST_FIRMWARE, when it and qemu-aarch64 exist, and
/// its next release EDGE_OTA_TEST_FIRMWARE_V2: the same sources built with a higher version
/// (`Tests/OTAFixtures/build-test-firmware.sh OUTDIR qemu-aarch64 VERSION`), so that what runs
/// after an upgrade is a different binary that knows itself as the new version.
enum TestFirmware {
    static var path: String? { executable("EDGE_OTA_TEST_FIRMWARE") }
    static var v2Path: String? { executable("EDGE_OTA_TEST_FIRMWARE_V2") }
    static var present: Bool { path != nil && v2Path != nil }

    static func executable(_ variable: String) -> String? {
        guard let path = ProcessInfo.processInfo.environment[variable],
              FileManager.default.isExecutableFile(atPath: path),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-aarch64") else { return nil }
        return path
    }

    /// The firmware's own version: the first line of `edge-agent version` is "edge-agent X.Y.Z".
    static func version(_ path: String) throws -> String {
        let r = try TestFiles.run("/usr/bin/qemu-aarch64", [path, "version"])
        guard r.status == 0, let line = r.output.split(separator: "\n").first, line.hasPrefix("edge-agent ") else {
            throw TestFiles.ToolError(description: "\(path) version: \(r.output)")
        }
        return String(line.dropFirst("edge-agent ".count))
    }

    /// A version above `version`: its minor number plus one ("0.1.1" → "0.2.0").
    static func later(_ version: String) -> String {
        let parts = version.split(separator: ".").map { Int($0) ?? 0 }
        return "\(parts.first ?? 0).\((parts.count > 1 ? parts[1] : 0) + 1).0"
    }
}

/// A simulated qemu-aarch64 gateway: a redundant U-Boot environment, slot A holding the real
/// firmware v1 (built with the TEST key compiled in), an empty slot B, the v2 firmware to offer, an HTTP server with the
/// images and a TCP listener standing for the cloud uplink. `boot()` is one power-on: the boot
/// simulator plays U-Boot's bootchooser through fw_printenv/fw_setenv and runs the chosen slot
/// under qemu-aarch64 with `ota boot-check` (the start-up health check against the uplink).
final class QemuGateway {
    let dir: URL
    let tools: UBootTools
    let a: URL, b: URL
    let slots: URL
    let firmwareBytes: [UInt8]
    /// v1 (slot A at the start) and v2 (another build, its own version compiled in) and their versions.
    let v1Version: String
    let v2Bytes: [UInt8]
    let v2Version: String
    /// A release above v2, for the v3 cases.
    var v3Version: String { TestFirmware.later(v2Version) }
    let uplink: HTTPRangeServer
    var versionArgs: [String] = []

    init(firmware: String, v2: String, tag: String) throws {
        dir = try TestFiles.scratchDirectory(tag)
        let env = dir.appendingPathComponent("uboot.env")
        try TestFiles.zeros(0x4000, at: env)
        tools = try UBootTools(dir: dir, configText: "\(env.path) 0x0 0x2000\n\(env.path) 0x2000 0x2000\n")
        v1Version = try TestFirmware.version(firmware)
        v2Version = try TestFirmware.version(v2)
        guard let old = FirmwareVersion(v1Version), let new = FirmwareVersion(v2Version), old < new else {
            throw TestFiles.ToolError(description: "v2 firmware \(v2Version) is not above v1 \(v1Version)")
        }
        try tools.setenvScript(["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=0", "EDGE_VERSION_A=\(v1Version)"])
        a = dir.appendingPathComponent("slot-a")
        b = dir.appendingPathComponent("slot-b")
        try FileManager.default.copyItem(atPath: firmware, toPath: a.path)
        try Data().write(to: b)
        slots = dir.appendingPathComponent("slots.txt")
        try "A \(a.path)\nB \(b.path)\n".write(to: slots, atomically: true, encoding: .utf8)
        firmwareBytes = Array(try Data(contentsOf: URL(fileURLWithPath: firmware)))
        v2Bytes = Array(try Data(contentsOf: URL(fileURLWithPath: v2)))
        uplink = try HTTPRangeServer(files: [:])
    }

    deinit {
        _ = uplink.stop()
        TestFiles.remove(dir)
    }

    var healthArgs: String {
        "ota boot-check --env-config \(tools.config.path) --uplink 127.0.0.1:\(uplink.port) --deadline-ms 5000"
    }

    /// One power-on: the bootloader picks a slot and runs it with the start-up health check.
    func boot() throws -> (status: Int32, output: String) {
        var args = [BootSimulatorTests.simulator, "--config", tools.config.path, "--slot", "A=\(a.path)", "--slot", "B=\(b.path)",
                    "--runner", "qemu-aarch64", "--args", healthArgs]
        for v in versionArgs { args += ["--version-args", v] }
        return try TestFiles.run("/usr/bin/python3", args)
    }

    /// The running firmware (in `slot`) executes a cloud order, as the agent will on `ota.device.upgrade`.
    /// `ca`: the CA file for an https:// URL (`--ca`).
    func upgrade(running slot: String, url: String, image: [UInt8], version: String, ca: String? = nil,
                 environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let path = slot == "A" ? a.path : b.path
        var args = [path, "ota", "upgrade", "--env-config", tools.config.path, "--slots", slots.path,
                    "--url", url, "--version", version, "--size", "\(image.count)",
                    "--sign", try OTAUpdateTests.digest("md5sum", image), "--sign-method", "md5"]
        if let ca { args += ["--ca", ca] }
        return try TestFiles.run("/usr/bin/qemu-aarch64", args, environment: environment.merging(["EDGE_CMDLINE": "rauc.slot=\(slot)"]) { $1 })
    }

    func image(_ version: String, payload: [UInt8]? = nil) throws -> [UInt8] {
        try ImageFixtures.image(version: version, payload: payload ?? firmwareBytes)
    }

    /// The signed image of the v2 firmware.
    func v2Image() throws -> [UInt8] { try image(v2Version, payload: v2Bytes) }

    func vars() throws -> [String: String] { try tools.printenv() }
}

/// The boot simulator with the real firmware under qemu-aarch64, whole upgrades as a gateway
/// lives them: the running firmware downloads and installs the cloud's order itself
/// (`ota upgrade`, verified with its compiled-in key, exit 10 = reboot), the next boot's health
/// check commits it or not, and the bootloader's counter brings the old slot back. Needs the
/// firmware built with the TEST key compiled in, its v2 build and qemu-aarch64:
///   EDGE_OTA_TEST_FIRMWARE=$(Tests/OTAFixtures/build-test-firmware.sh build/ota-test-firmware)
///   EDGE_OTA_TEST_FIRMWARE_V2=$(Tests/OTAFixtures/build-test-firmware.sh build/ota-test-firmware qemu-aarch64 0.1.1)
/// skipped otherwise (`make ota-firmware-test`, part of `make test`, sets them and fails on a skip).
@Suite(.serialized, .enabled(if: TestFirmware.present, "EDGE_OTA_TEST_FIRMWARE or EDGE_OTA_TEST_FIRMWARE_V2 not set"))
struct FirmwareBootSimulatorTests {
    static func steps(_ output: String) -> [Int] { OTAFlowCommandTests.progressSteps(output) }

    /// v1 → v2 over a download cut in the middle (resumed), healthy: committed. `tls`: served
    /// over HTTPS on loopback with a test CA made by openssl, which the firmware is given (`--ca`).
    static func upgradeToHealthyV2(_ g: QemuGateway, tls: HTTPSDownloadTests.Certificates? = nil) throws {
        var r = try g.boot()
        #expect(r.status == 0 && r.output.contains("boot: slot A") && r.output.contains("slot A marked good"), "\(r.output)")
        let v2 = try g.v2Image()
        var arguments = ["--drop-after", "\(v2.count / 2)", "--drops", "1"]
        if let tls { arguments += ["--cert", tls.path("server.crt"), "--key", tls.path("server.key")] }
        let server = try HTTPRangeServer(files: ["v2.img": v2], arguments: arguments)
        let url = tls == nil ? server.url("v2.img") : "https://localhost:\(server.port)/v2.img"
        r = try g.upgrade(running: "A", url: url, image: v2, version: g.v2Version, ca: tls?.path("ca.crt"))
        let requests = server.stop()
        #expect(r.status == OTAExitStatus.rebootRequested, "\(r.output)")
        #expect(Self.steps(r.output).first == 0 && Self.steps(r.output).suffix(3) == [80, 85, 95], "\(r.output)")
        #expect(requests.count == 2 && requests[1].hasSuffix("bytes=\(v2.count / 2)-"), "download not resumed: \(requests)")
        r = try g.boot()
        #expect(r.status == 0 && r.output.contains("boot: slot B"), "\(r.output)")
        #expect(r.output.contains("ota: progress 100 upgraded to \(g.v2Version)") && r.output.contains("ota: inform \(g.v2Version)"), "\(r.output)")
        #expect(Array(try Data(contentsOf: g.b)) == g.v2Bytes, "slot B does not hold the v2 firmware")
        r = try g.boot()
        #expect(r.status == 0 && r.output.contains("boot: slot B") && r.output.contains("slot B marked good (\(g.v2Version))"), "\(r.output)")
        // What runs from slot B is the v2 binary: its own version refuses v1 as a downgrade.
        let v1 = try g.image(g.v1Version)
        let old = try HTTPRangeServer(files: ["v1.img": v1]); defer { _ = old.stop() }
        r = try g.upgrade(running: "B", url: old.url("v1.img"), image: v1, version: g.v1Version)
        #expect(r.status == 1 && r.output.contains("ota: progress -5 image refused: older than the running firmware"), "\(r.output)")
        let vars = try g.vars()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["BOOT_B_LEFT"] == "3" && vars["EDGE_TRIAL"] == nil)
    }

    /// v3 in slot A on trial: each boot fails (`failing` checks its status) until A's counter
    /// runs out; then v2 in slot B comes back, reports the failure once and is marked good.
    static func expectFallbackToV2(_ g: QemuGateway, failing: (Int32) -> Bool, note: String) throws {
        for attempt in 1...Bootchooser.defaultAttempts {
            let r = try g.boot()
            #expect(failing(r.status) && r.output.contains("boot: slot A"), "\(note) attempt \(attempt): \(r.output)")
        }
        let r = try g.boot()
        #expect(r.status == 0 && r.output.contains("boot: slot B"), "\(r.output)")
        #expect(r.output.contains("ota: progress -1 upgrade to \(g.v3Version) failed"), "\(r.output)")
        #expect(r.output.contains("ota: inform \(g.v2Version)") && r.output.contains("slot B marked good"), "\(r.output)")
        let vars = try g.vars()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["BOOT_A_LEFT"] == "0" && vars["BOOT_B_LEFT"] == "3")
        #expect(vars["EDGE_TRIAL"] == nil)
    }

    @Test func v1ToHealthyV2ThenV3ThatCrashesAtStartFallsBackToV2() throws {
        let g = try QemuGateway(firmware: try #require(TestFirmware.path), v2: try #require(TestFirmware.v2Path), tag: "qemu-crash")
        try Self.upgradeToHealthyV2(g)
        let v3 = try g.image(g.v3Version, payload: Array("#!/bin/sh\nexit 1\n".utf8))  // not an aarch64 binary: dies at once
        let server = try HTTPRangeServer(files: ["v3.img": v3]); defer { _ = server.stop() }
        let r = try g.upgrade(running: "B", url: server.url("v3.img"), image: v3, version: g.v3Version)
        #expect(r.status == OTAExitStatus.rebootRequested, "\(r.output)")
        try Self.expectFallbackToV2(g, failing: { $0 != 0 && $0 != OTAExitStatus.healthCheckFailed }, note: "crash")
    }

    /// v2 comes over HTTPS (test CA, cut and resumed), v3 over plain HTTP.
    @Test func v3ThatNeverReachesItsUplinkMissesItsDeadlineAndFallsBackToV2() throws {
        let g = try QemuGateway(firmware: try #require(TestFirmware.path), v2: try #require(TestFirmware.v2Path), tag: "qemu-uplink")
        let certs = try HTTPSDownloadTests.Certificates()
        try Self.upgradeToHealthyV2(g, tls: certs)
        // The same firmware, but this release's uplink goes nowhere: it starts, waits, gives up.
        g.versionArgs = ["\(g.v3Version)=ota boot-check --env-config \(g.tools.config.path) --uplink 127.0.0.1:1 --deadline-ms 800"]
        let v3 = try g.image(g.v3Version, payload: g.v2Bytes)
        let server = try HTTPRangeServer(files: ["v3.img": v3]); defer { _ = server.stop() }
        let r = try g.upgrade(running: "B", url: server.url("v3.img"), image: v3, version: g.v3Version)
        #expect(r.status == OTAExitStatus.rebootRequested, "\(r.output)")
        try Self.expectFallbackToV2(g, failing: { $0 == OTAExitStatus.healthCheckFailed }, note: "no uplink")
    }

    @Test func aTamperedImageIsRefusedAndTheRunningSlotStaysFirst() throws {
        let g = try QemuGateway(firmware: try #require(TestFirmware.path), v2: try #require(TestFirmware.v2Path), tag: "qemu-tamper")
        var v2 = try g.v2Image()
        v2[FirmwareImageHeader.size + 4096] ^= 0x40
        let server = try HTTPRangeServer(files: ["v2.img": v2]); defer { _ = server.stop() }
        var r = try g.upgrade(running: "A", url: server.url("v2.img"), image: v2, version: g.v2Version)
        #expect(r.status == 1, "\(r.output)")
        #expect(r.output.contains("ota: progress -3 image refused: payload SHA-256 does not match the header"), "\(r.output)")
        r = try g.boot()
        #expect(r.status == 0 && r.output.contains("boot: slot A") && r.output.contains("slot A marked good"), "\(r.output)")
        let vars = try g.vars()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_B_LEFT"] == "0")
    }

    /// An https:// order whose server's certificate is not from the CA the firmware is given:
    /// refused before any byte reaches slot B, not retried, nothing activated.
    @Test func anHTTPSServerFromAnotherCAIsRefused() throws {
        let g = try QemuGateway(firmware: try #require(TestFirmware.path), v2: try #require(TestFirmware.v2Path), tag: "qemu-otherca")
        let certs = try HTTPSDownloadTests.Certificates()
        let v2 = try g.v2Image()
        let server = try HTTPRangeServer(files: ["v2.img": v2], arguments: ["--cert", certs.path("server.crt"), "--key", certs.path("server.key")])
        let r = try g.upgrade(running: "A", url: "https://localhost:\(server.port)/v2.img", image: v2, version: g.v2Version,
                              ca: certs.path("otherca.crt"))
        let requests = server.stop()
        #expect(r.status == 1, "\(r.output)")
        #expect((Self.steps(r.output).last ?? 0) < 0 && !Self.steps(r.output).contains(80), "\(r.output)")
        #expect(requests.isEmpty, "a request reached the server over an untrusted connection: \(requests)")
        #expect(try Data(contentsOf: g.b).isEmpty, "slot B was written")
        let vars = try g.vars()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_B_LEFT"] == "0" && vars["EDGE_TRIAL"] == nil, "\(vars)")
    }

    /// The install killed right after each of its steps (SIGKILL: the process dies where it
    /// stands; torn writes at every byte are PowerCutTests' subject): until the activation the
    /// old slot boots and is healthy; a cut after the activation boots the new one on trial.
    @Test func aCutAtEachStepOfAnInstallLeavesTheOldSlotBooting() throws {
        let g = try QemuGateway(firmware: try #require(TestFirmware.path), v2: try #require(TestFirmware.v2Path), tag: "qemu-cut")
        let v2 = try g.v2Image()
        let server = try HTTPRangeServer(files: ["v2.img": v2]); defer { _ = server.stop() }
        for cut in [0, 40, 80, 85] {
            var r = try g.upgrade(running: "A", url: server.url("v2.img"), image: v2, version: g.v2Version,
                                  environment: ["EDGE_OTA_CUT_AFTER_STEP": "\(cut)"])
            #expect(r.status != 0 && r.status != OTAExitStatus.rebootRequested, "cut \(cut): \(r.output)")
            #expect(r.output.contains("simulated power cut after step"), "cut \(cut): \(r.output)")
            r = try g.boot()
            #expect(r.status == 0 && r.output.contains("boot: slot A") && r.output.contains("slot A marked good"), "cut \(cut): \(r.output)")
            let vars = try g.vars()
            #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_B_LEFT"] == "0", "cut \(cut): \(vars)")
        }
        var r = try g.upgrade(running: "A", url: server.url("v2.img"), image: v2, version: g.v2Version,
                              environment: ["EDGE_OTA_CUT_AFTER_STEP": "95"])
        #expect(r.output.contains("simulated power cut after step 95"), "\(r.output)")
        r = try g.boot()
        #expect(r.status == 0 && r.output.contains("boot: slot B") && r.output.contains("ota: progress 100 upgraded to \(g.v2Version)"), "\(r.output)")
    }
}
