import Foundation
import OTA
import Testing

/// The test-key firmware named by EDGE_OTA_TEST_FIRMWARE, when it and qemu-aarch64 exist.
enum TestFirmware {
    static var path: String? {
        guard let path = ProcessInfo.processInfo.environment["EDGE_OTA_TEST_FIRMWARE"],
              FileManager.default.isExecutableFile(atPath: path),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-aarch64") else { return nil }
        return path
    }
}

/// The boot simulator with the real firmware under qemu-aarch64: the firmware in the booted
/// slot installs the next image itself (`edge-agent ota install`, verified with its compiled-in
/// key) and marks itself good at start (`edge-agent ota mark-good`, booted slot from
/// $EDGE_CMDLINE). Needs a firmware built with the TEST key compiled in:
///   EDGE_OTA_TEST_FIRMWARE=$(Tests/OTAFixtures/build-test-firmware.sh build/ota-test-firmware)
/// and qemu-aarch64; skipped otherwise.
@Suite(.serialized, .enabled(if: TestFirmware.path != nil, "EDGE_OTA_TEST_FIRMWARE not set"))
struct FirmwareBootSimulatorTests {
    static var firmware: String? { TestFirmware.path }

    @Test func v1ToHealthyV2ThenV3ThatCrashesFallsBackToV2() throws {
        let firmware = try #require(Self.firmware)
        let dir = try TestFiles.scratchDirectory("qemu"); defer { TestFiles.remove(dir) }
        let env = dir.appendingPathComponent("uboot.env")
        try TestFiles.zeros(0x4000, at: env)
        let tools = try UBootTools(dir: dir, configText: "\(env.path) 0x0 0x2000\n\(env.path) 0x2000 0x2000\n")
        try tools.setenvScript(["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=0"])
        let a = dir.appendingPathComponent("slot-a"), b = dir.appendingPathComponent("slot-b")
        try FileManager.default.copyItem(atPath: firmware, toPath: a.path)
        try Data().write(to: b)
        let slots = dir.appendingPathComponent("slots.txt")
        try "A \(a.path)\nB \(b.path)\n".write(to: slots, atomically: true, encoding: .utf8)
        let firmwareBytes = Array(try Data(contentsOf: URL(fileURLWithPath: firmware)))
        let v2 = dir.appendingPathComponent("v2.img"), v3 = dir.appendingPathComponent("v3.img")
        try Data(try ImageFixtures.image(version: "0.2.0", payload: firmwareBytes)).write(to: v2)
        try Data(try ImageFixtures.image(version: "0.3.0", payload: Array("#!/bin/sh\nexit 1\n".utf8))).write(to: v3)

        func boot() throws -> (status: Int32, output: String) {
            try TestFiles.run("/usr/bin/python3", [BootSimulatorTests.simulator, "--config", tools.config.path,
                                                   "--slot", "A=\(a.path)", "--slot", "B=\(b.path)", "--runner", "qemu-aarch64",
                                                   "--args", "ota mark-good --env-config \(tools.config.path)"])
        }
        func install(from slot: URL, booted: String, image: URL) throws -> (status: Int32, output: String) {
            try TestFiles.run("/usr/bin/qemu-aarch64", [slot.path, "ota", "install", "--env-config", tools.config.path,
                                                        "--slots", slots.path, "--cmdline", "rauc.slot=\(booted)", image.path])
        }

        var r = try boot()
        #expect(r.status == 0 && r.output.contains("boot: slot A") && r.output.contains("slot A marked good"), "\(r.output)")
        r = try install(from: a, booted: "A", image: v2)
        #expect(r.status == 0 && r.output.contains("slot B activated on trial"), "\(r.output)")
        r = try boot()
        #expect(r.output.contains("boot: slot B") && r.output.contains("trial of slot B committed"), "\(r.output)")
        r = try boot()
        #expect(r.output.contains("boot: slot B") && !r.output.contains("trial"), "\(r.output)")
        r = try install(from: b, booted: "B", image: v3)
        #expect(r.status == 0 && r.output.contains("slot A activated on trial"), "\(r.output)")
        for attempt in 1...Bootchooser.defaultAttempts {
            r = try boot()
            #expect(r.status != 0 && r.output.contains("boot: slot A"), "attempt \(attempt): \(r.output)")
        }
        r = try boot()
        #expect(r.status == 0 && r.output.contains("boot: slot B"), "\(r.output)")
        #expect(r.output.contains("slot A failed its trial; running slot B"), "\(r.output)")
        let vars = try tools.printenv()
        #expect(vars["BOOT_ORDER"] == "B A")
        #expect(vars["BOOT_A_LEFT"] == "0")
        #expect(vars["BOOT_B_LEFT"] == "3")
    }
}
