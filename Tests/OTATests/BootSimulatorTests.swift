import EdgeCore
import EdgeCrypto
import Foundation
import OTA
import Testing

/// Whole update cycles on a simulated gateway: Tests/OTAFixtures/boot-simulator.py plays U-Boot's
/// bootchooser on the environment file (through fw_printenv/fw_setenv), boots the chosen slot's
/// "firmware" (a shell script standing in for the agent binary), again and again; between
/// boots, this test plays the agent's OTA duties with the OTA module: the after-boot check,
/// mark-good after a healthy start, installs into the inactive slot.
@Suite(.serialized) struct BootSimulatorTests {
    static var simulator: String { TestFiles.packageRoot.appendingPathComponent("Tests/OTAFixtures/boot-simulator.py").path }

    /// A firmware stand-in: prints its version; `healthy` when it would pass the health check
    /// (config, ring log, uplink, one poll); exits non-zero when it crashes at start.
    static func firmware(version: String, crashes: Bool = false, reachesUplink: Bool = true) -> [UInt8] {
        var script = "#!/bin/sh\necho \"firmware \(version) on $EDGE_CMDLINE\"\n"
        if crashes { script += "echo 'segmentation fault' >&2\nexit 139\n" }
        if reachesUplink { script += "echo healthy\n" } else { script += "echo 'uplink: timeout'\n" }
        script += "exit 0\n"
        return Array(script.utf8)
    }

    final class Gateway {
        let dir: URL
        let tools: UBootTools
        let slots: SlotSet
        var log: [String] = []
        var rollbacksReported: [BootSlotName] = []
        var trialsCommitted: [BootSlotName] = []
        /// What the last boot put on the kernel command line (`rauc.slot=X`).
        var lastCommandLine: String? = nil

        init(_ tag: String) throws {
            dir = try TestFiles.scratchDirectory(tag)
            let env = dir.appendingPathComponent("uboot.env")
            try TestFiles.zeros(0x4000, at: env)
            tools = try UBootTools(dir: dir, configText: "\(env.path) 0x0 0x2000\n\(env.path) 0x2000 0x2000\n")
            try tools.setenvScript(["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=0", "EDGE_VERSION_A=1.0.0"])
            slots = SlotSet(a: dir.appendingPathComponent("slot-a").path, b: dir.appendingPathComponent("slot-b").path)
            try Data(BootSimulatorTests.firmware(version: "1.0.0")).write(to: URL(fileURLWithPath: slots.a))
            try Data().write(to: URL(fileURLWithPath: slots.b))
        }

        deinit { TestFiles.remove(dir) }

        /// One power-on: the bootloader picks and boots a slot; then, if the firmware came up
        /// healthy, the agent's after-boot duties. Returns the booted slot and its output.
        @discardableResult
        func boot() throws -> (slot: BootSlotName?, healthy: Bool, output: String) {
            let (status, output) = try TestFiles.run("/usr/bin/python3", [BootSimulatorTests.simulator, "--config", tools.config.path,
                                                                          "--slot", "A=\(slots.a)", "--slot", "B=\(slots.b)"])
            log.append(output)
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("boot: slot ") }),
                  let booted = BootedSlot.fromCommandLine("rauc.slot=\(line.dropFirst("boot: slot ".count).prefix(1))") else {
                return (nil, false, output)
            }
            lastCommandLine = "rauc.slot=\(booted.slot.letter)"
            let healthy = status == 0 && output.contains("healthy")
            if healthy {
                var env = try openEnvironment(tools.config)
                try env.load()
                if case .rolledBack(let failed) = SlotActivation.check(env, booted: booted.slot) {
                    rollbacksReported.append(failed)
                    try SlotActivation.acknowledgeRollback(&env, booted: booted.slot)
                }
                if try SlotActivation.markGood(&env, booted: booted.slot) { trialsCommitted.append(booted.slot) }
            }
            return (booted.slot, healthy, output)
        }

        /// The running agent installs a signed image into the inactive slot and activates it.
        func install(version: String, firmware: [UInt8], running: String) throws {
            let image = try ImageFixtures.image(version: version, payload: firmware)
            var env = try openEnvironment(tools.config)
            try env.load()
            let detected = BootedSlot.detect(commandLine: lastCommandLine, environment: env)
            guard let booted = detected?.slot else { throw SlotError.bootedSlotUnknown }
            let target = booted.other
            let device = try slots.openForInstall(target, booted: booted)
            var installer = try SlotInstaller.begin(environment: env, target: target, device: device,
                                                    policy: ImageFixtures.policy(running: running))
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: image.count, alignment: 8)
            defer { bytes.deallocate() }
            image.withUnsafeBytes { bytes.copyMemory(from: $0) }
            var offset = 0
            while offset < bytes.count {
                let n = min(333, bytes.count - offset)
                try installer.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), environment: &env)
                offset += n
            }
            _ = try installer.finish(key: try ImageFixtures.key())
            try installer.activate(environment: &env)
        }
    }

    @Test func aHealthyUpdateIsCommittedAndStays() throws {
        let g = try Gateway("sim1")
        #expect(try g.boot().output.contains("firmware 1.0.0"))
        try g.install(version: "2.0.0", firmware: Self.firmware(version: "2.0.0"), running: "1.0.0")
        #expect(try g.tools.printenv()["BOOT_ORDER"] == "B A")
        for _ in 0..<5 {
            let boot = try g.boot()
            #expect(boot.slot == .b)
            #expect(boot.healthy)
            #expect(boot.output.contains("firmware 2.0.0 on root=\(g.slots.b) rauc.slot=B"))
        }
        #expect(try g.tools.printenv()["BOOT_B_LEFT"] == "3")   // marked good each boot
        #expect(try g.tools.printenv()["EDGE_TRIAL"] == nil)
        #expect(g.trialsCommitted == [.b])                         // step 100 reported once
        #expect(g.rollbacksReported.isEmpty)
    }

    @Test func anUpdateThatCrashesAtStartFallsBackWithinTheCounter() throws {
        let g = try Gateway("sim2")
        try g.boot()
        try g.install(version: "2.0.0", firmware: Self.firmware(version: "2.0.0"), running: "1.0.0")
        #expect(try g.boot().slot == .b)
        try g.install(version: "3.0.0", firmware: Self.firmware(version: "3.0.0", crashes: true), running: "2.0.0")
        #expect(try g.tools.printenv()["BOOT_ORDER"] == "A B")
        var slotsBooted: [BootSlotName] = []
        for _ in 0..<(Bootchooser.defaultAttempts + 1) {
            slotsBooted.append(try #require(try g.boot().slot))
        }
        // Three crashing attempts of v3 in A, then the bootloader is back on v2 in B.
        #expect(slotsBooted == [.a, .a, .a, .b], "\(g.log)")
        #expect(g.log.last?.contains("firmware 2.0.0") == true)
        #expect(g.rollbacksReported == [.a])
        #expect(g.trialsCommitted == [.b])
        let vars = try g.tools.printenv()
        #expect(vars["EDGE_TRIAL"] == nil)
        #expect(vars["BOOT_ORDER"] == "B A")
        #expect(vars["BOOT_A_LEFT"] == "0")
        #expect(vars["BOOT_B_LEFT"] == "3")
        // And it stays on v2.
        #expect(try g.boot().slot == .b)
        #expect(g.rollbacksReported == [.a])
    }

    @Test func anUpdateThatNeverReachesTheUplinkFallsBackToo() throws {
        let g = try Gateway("sim3")
        try g.boot()
        try g.install(version: "2.0.0", firmware: Self.firmware(version: "2.0.0", reachesUplink: false), running: "1.0.0")
        var slotsBooted: [BootSlotName] = []
        for _ in 0..<(Bootchooser.defaultAttempts + 1) {
            slotsBooted.append(try #require(try g.boot().slot))
        }
        #expect(slotsBooted == [.b, .b, .b, .a])
        #expect(g.log.last?.contains("firmware 1.0.0") == true)
        #expect(g.rollbacksReported == [.b])
    }
}
