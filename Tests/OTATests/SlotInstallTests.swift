import EdgeCore
import EdgeCrypto
import Foundation
import OTA
import Testing

/// Slots on files with a redundant environment checked by fw_printenv: the booted slot is never
/// opened for writing, an install lands in the other slot and activates it counter-first, and
/// the after-boot check sees a fallback.
@Suite(.serialized) struct SlotInstallTests {
    struct Gateway {
        let dir: URL
        let tools: UBootTools
        let slots: SlotSet
    }

    static func gateway(_ tag: String) throws -> Gateway {
        let dir = try TestFiles.scratchDirectory(tag)
        let env = dir.appendingPathComponent("uboot.env")
        try TestFiles.zeros(0x4000, at: env)
        let tools = try UBootTools(dir: dir, configText: "\(env.path) 0x0 0x2000\n\(env.path) 0x2000 0x2000\n")
        try tools.setenvScript(["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        let a = dir.appendingPathComponent("slot-a"), b = dir.appendingPathComponent("slot-b")
        try Data("firmware A".utf8).write(to: a)
        try Data("older firmware B, longer than the new one ..............................".utf8).write(to: b)
        return Gateway(dir: dir, tools: tools, slots: SlotSet(a: a.path, b: b.path))
    }

    @Test func parsesASlotDescription() throws {
        let s = try SlotSet.parse("# board qemu\nA /dev/mmcblk0p2\nB=/dev/mmcblk0p3\n")
        #expect(s == SlotSet(a: "/dev/mmcblk0p2", b: "/dev/mmcblk0p3"))
        #expect(throws: SlotError.missingSlot(.b)) { try SlotSet.parse("A /x\n") }
        #expect(throws: SlotError.descriptionInvalid(line: 1, "")) { try SlotSet.parse("C /x\n") }
    }

    @Test func theKernelCommandLineNamesTheBootedSlot() {
        #expect(BootedSlot.fromCommandLine("console=ttyS0 root=/dev/mmcblk0p3 rauc.slot=B quiet\n") == BootedSlot(slot: .b, source: .commandLine))
        #expect(BootedSlot.fromCommandLine("edge.slot=a") == BootedSlot(slot: .a, source: .commandLine))
        #expect(BootedSlot.fromCommandLine("root=/dev/sda1 rauc.slot=C") == nil)
    }

    @Test func theEnvironmentOnlyGuessesTheBootedSlot() throws {
        let g = try Self.gateway("slot0"); defer { TestFiles.remove(g.dir) }
        var env = try openEnvironment(g.tools.config)
        try env.load()
        #expect(BootedSlot.detect(commandLine: "quiet", environment: env) == BootedSlot(slot: .a, source: .environment))
        #expect(BootedSlot.detect(commandLine: "rauc.slot=B", environment: env) == BootedSlot(slot: .b, source: .commandLine))
        // After a fallback the first slot has no attempts: A or B may be running; no guess.
        try g.tools.setenvScript(["BOOT_ORDER=B A", "BOOT_B_LEFT=0", "BOOT_A_LEFT=2"])
        try env.load()
        #expect(BootedSlot.detect(commandLine: nil, environment: env) == nil)
    }

    @Test func theBootedSlotIsNeverOpenedForWriting() throws {
        let g = try Self.gateway("slot1"); defer { TestFiles.remove(g.dir) }
        #expect(throws: SlotError.targetIsBooted(.a)) { _ = try g.slots.openForInstall(.a, booted: .a) }
        // Same file under another name: refused by identity.
        let link = g.dir.appendingPathComponent("slot-b-link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: g.slots.a)
        let aliased = SlotSet(a: g.slots.a, b: link.path)
        #expect(throws: SlotError.targetIsBooted(.b)) { _ = try aliased.openForInstall(.b, booted: .a) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: g.slots.a)) == Data("firmware A".utf8))
    }

    @Test func anInstallWritesTheOtherSlotAndActivatesItOnTrial() throws {
        let g = try Self.gateway("slot2"); defer { TestFiles.remove(g.dir) }
        let payload = ImageFixtures.payload(10_000)
        let image = try ImageFixtures.image(version: "2.1.0", payload: payload)
        var env = try openEnvironment(g.tools.config)
        try env.load()
        let detected = BootedSlot.detect(commandLine: "root=x rauc.slot=A", environment: env)
        #expect(detected?.slot == .a)
        let booted = BootedSlot(slot: .a, source: .commandLine)
        let device = try g.slots.openForInstall(booted.slot.other, booted: booted.slot)
        // Opening alone changes nothing: a power cut here leaves B's old image whole.
        #expect(try Data(contentsOf: URL(fileURLWithPath: g.slots.b)).count > 60)
        var installer = try SlotInstaller.begin(environment: env, target: .b, device: device,
                                                policy: ImageFixtures.policy(running: "2.0"))
        #expect(try g.tools.printenv()["BOOT_B_LEFT"] == "3")   // nothing changed before the header
        let key = try ImageFixtures.key()
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: image.count, alignment: 8)
        defer { bytes.deallocate() }
        image.withUnsafeBytes { bytes.copyMemory(from: $0) }
        // The header accepted: B is unbootable before its first payload byte is written.
        try installer.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<FirmwareImageHeader.size]), environment: &env)
        #expect(try g.tools.printenv()["BOOT_B_LEFT"] == "0")
        #expect(try Data(contentsOf: URL(fileURLWithPath: g.slots.b)).count > 60)
        var offset = FirmwareImageHeader.size
        while offset < bytes.count {
            let n = min(1000, bytes.count - offset)
            try installer.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), environment: &env)
            offset += n
        }
        let header = try installer.finish(key: key)
        #expect(header.version == FirmwareVersion("2.1.0")!)
        #expect(try g.tools.printenv()["BOOT_ORDER"] == "A B")   // not yet activated
        try installer.activate(environment: &env)
        let vars = try g.tools.printenv()
        #expect(vars["BOOT_ORDER"] == "B A")
        #expect(vars["BOOT_B_LEFT"] == "3")
        #expect(vars["BOOT_A_LEFT"] == "3")
        #expect(vars["EDGE_VERSION_B"] == "2.1.0")
        #expect(vars["EDGE_TRIAL"] == "B")
        #expect(SlotActivation.check(env, booted: .b) == .trial(attemptsLeft: 3))
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: g.slots.b))) == payload)   // truncated, then written
        let mode = try FileManager.default.attributesOfItem(atPath: g.slots.b)[.posixPermissions] as? Int
        #expect(mode == 0o755)                                                        // runnable on the qemu boards
        #expect(try Data(contentsOf: URL(fileURLWithPath: g.slots.a)) == Data("firmware A".utf8))
    }

    @Test func afterBootTheCheckSeesATrialAFallbackAndMarkGood() throws {
        let g = try Self.gateway("slot3"); defer { TestFiles.remove(g.dir) }
        // B was activated and then ran out of attempts; the bootloader fell back to A.
        try g.tools.setenvScript(["BOOT_ORDER=B A", "BOOT_B_LEFT=0", "BOOT_A_LEFT=2"])
        var env = try openEnvironment(g.tools.config)
        try env.load()
        #expect(SlotActivation.check(env, booted: .a) == .rolledBack(failed: .b))
        try SlotActivation.acknowledgeRollback(&env, booted: .a)
        try SlotActivation.markGood(&env, booted: .a)
        #expect(try g.tools.printenv()["BOOT_ORDER"] == "A B")
        #expect(try g.tools.printenv()["BOOT_A_LEFT"] == "3")
        #expect(try g.tools.printenv()["BOOT_B_LEFT"] == "0")
        #expect(SlotActivation.check(env, booted: .a) == .primary(attemptsLeft: 3))
        // A trial boot of B: B first, counter decremented by the bootloader.
        try g.tools.setenvScript(["BOOT_ORDER=B A", "BOOT_B_LEFT=2"])
        try env.load()
        #expect(SlotActivation.check(env, booted: .b) == .primary(attemptsLeft: 2))
        try SlotActivation.markGood(&env, booted: .b)
        #expect(try g.tools.printenv()["BOOT_B_LEFT"] == "3")
    }

    @Test func nothingIsActivatedOnACorruptEnvironment() throws {
        let g = try Self.gateway("slot4"); defer { TestFiles.remove(g.dir) }
        let file = g.dir.appendingPathComponent("uboot.env")
        var bytes = try Data(contentsOf: file)
        bytes[10] ^= 1; bytes[0x2000 + 10] ^= 1
        try bytes.write(to: file)
        var env = try openEnvironment(g.tools.config)
        #expect(throws: BootEnvironmentError.noValidCopy) { try env.load() }
        let device = try g.slots.openForInstall(.b, booted: .a)
        var refusal: SlotError? = nil
        do throws(SlotError) {
            _ = try SlotInstaller.begin(environment: env, target: .b, device: device, policy: ImageFixtures.policy())
        } catch { refusal = error }
        #expect(refusal == .environment(.notLoaded))
    }
}
