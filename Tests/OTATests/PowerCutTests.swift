import EdgeCore
import EdgeCrypto
import OTA
import Testing

/// A power cut at every byte of an install (environment writes and slot writes alike) leaves a
/// gateway that boots the old slot, and never leaves a bootable slot with a partial image.
@Suite struct PowerCutTests {
    static let envSize = 0x100
    static let oldImage: [UInt8] = Array("old firmware B (good)".utf8)

    /// Gateway state before the install: A running and good, B holding an older good image.
    static func initialEnvironment() throws -> MemoryEnvironment {
        let memory = MemoryEnvironment(size: envSize, copies: 2)
        var env = makeEnvironment(memory, PowerSupply(budget: nil))
        env.reset()
        try env.set("BOOT_ORDER", "A B")
        try env.set("BOOT_A_LEFT", "3")
        try env.set("BOOT_B_LEFT", "3")
        try env.save()
        return memory
    }

    static func makeEnvironment(_ memory: MemoryEnvironment, _ power: PowerSupply) -> BootEnvironment<MemoryEnvironmentStorage> {
        let config = try! BootEnvironmentConfig(copies: [BootEnvironmentLocation(device: "mem0", offset: 0, size: envSize),
                                                         BootEnvironmentLocation(device: "mem1", offset: 0, size: envSize)])
        return BootEnvironment(config: config, storage: MemoryEnvironmentStorage(backing: memory, power: power))
    }

    /// Runs begin → feed (in 64-byte chunks) → finish → activate; returns the first failure.
    static func install(_ image: [UInt8], memory: MemoryEnvironment, slotB: MemorySlot, power: PowerSupply,
                        key: borrowing ECDSAPublicKey) -> SlotError? {
        var env = makeEnvironment(memory, power)
        do throws(BootEnvironmentError) { try env.load() } catch { return .environment(error) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: image.count, alignment: 8)
        defer { buffer.deallocate() }
        image.withUnsafeBytes { buffer.copyMemory(from: $0) }
        do throws(SlotError) {
            var installer = try SlotInstaller.begin(environment: env, target: .b, device: MemorySlotDevice(slot: slotB, power: power),
                                                    policy: ImageFixtures.policy())
            var offset = 0
            while offset < image.count {
                let n = min(64, image.count - offset)
                try installer.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]), environment: &env)
                offset += n
            }
            _ = try installer.finish(key: key)
            try installer.activate(environment: &env)
            return nil
        } catch {
            return error
        }
    }

    /// What U-Boot's bootchooser would boot after power returns.
    static func bootsAfterReboot(_ memory: MemoryEnvironment) throws -> (BootSlotName?, left: Int?) {
        var env = makeEnvironment(memory, PowerSupply(budget: nil))
        try env.load()
        return (Bootchooser.nextBoot(env), Bootchooser.attemptsLeft(env, .b))
    }

    @Test func aCutAtAnyByteBeforeTheOrderSwitchLeavesTheOldSlotBooting() throws {
        let payload = ImageFixtures.payload(600)
        let image = try ImageFixtures.image(version: "2.0.0", payload: payload)
        let key = try ImageFixtures.key()
        // The uncut install: how many bytes it writes in all.
        let fullMemory = try Self.initialEnvironment()
        let fullSlot = MemorySlot(Self.oldImage)
        let fullPower = PowerSupply(budget: nil)
        #expect(Self.install(image, memory: fullMemory, slotB: fullSlot, power: fullPower, key: key) == nil)
        #expect(try Self.bootsAfterReboot(fullMemory).0 == .b)
        #expect(fullSlot.bytes == payload)
        #expect(fullSlot.syncs == 1)
        let total = fullPower.written
        #expect(total == 3 * Self.envSize + payload.count)
        // The last environment write (BOOT_ORDER) switches; every earlier cut keeps A.
        let orderWriteStart = total - Self.envSize
        for budget in 0..<total {
            let memory = try Self.initialEnvironment()
            let slotB = MemorySlot(Self.oldImage)
            let power = PowerSupply(budget: budget)
            let failure = Self.install(image, memory: memory, slotB: slotB, power: power, key: key)
            #expect(failure != nil, "cut at \(budget) went unnoticed")
            let (boots, bLeft) = try Self.bootsAfterReboot(memory)
            if budget < orderWriteStart {
                #expect(boots == .a, "cut at byte \(budget): boots \(boots.map { $0.letter } ?? "nothing")")
            } else {
                // During the BOOT_ORDER write the switch is atomic: A, or B only when the torn
                // copy already equals the complete new environment (its unwritten tail held the
                // same bytes, so its CRC is valid).
                #expect(boots == .a || (boots == .b && memory.copies == fullMemory.copies && slotB.bytes == payload),
                        "cut at byte \(budget) in the order write")
            }
            // A slot that could ever be tried holds a whole image: B is bootable only while
            // it still holds the old image (cut during the first environment write) or after
            // the new one was fully written and synced.
            if let bLeft, bLeft > 0 {
                #expect(slotB.bytes == Self.oldImage || (slotB.bytes == payload && budget >= orderWriteStart - Self.envSize),
                        "cut at \(budget): B bootable with \(slotB.bytes.count) bytes")
            }
        }
    }

    @Test func aRefusedImageLeavesTheTargetUnbootableAndTheOldSlotFirst() throws {
        var image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(300))
        image[200] ^= 1   // payload byte: digest fails at the end, after the slot was written
        let memory = try Self.initialEnvironment()
        let slotB = MemorySlot(Self.oldImage)
        let failure = Self.install(image, memory: memory, slotB: slotB, power: PowerSupply(budget: nil), key: try ImageFixtures.key())
        #expect(failure == .image(.badDigest))
        #expect(failure?.progressStep == -3)
        let (boots, bLeft) = try Self.bootsAfterReboot(memory)
        #expect(boots == .a)
        #expect(bLeft == 0)
    }
}
