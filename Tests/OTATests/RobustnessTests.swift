import EdgeCore
import EdgeCrypto
import OTA
import Testing
import TestSupport

/// Random input never crashes the codecs, the variable codec agrees with a dictionary model,
/// and an install's steady state allocates nothing.
@Suite struct RobustnessTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
    }

    @Test func variableEditsAgreeWithADictionaryAndStaySorted() throws {
        var rng = Generator(state: 0x9E37_79B9_7F4A_7C15)
        let names = ["BOOT_ORDER", "BOOT_A_LEFT", "BOOT_B_LEFT", "a", "ab", "abc", "bootcmd", "Z", "zz"]
        let area = BootVariablesTests.Area(512)
        var model: [String: String] = [:]
        for _ in 0..<5000 {
            let name = names[Int(rng.next() % UInt64(names.count))]
            if rng.next() % 4 == 0 {
                try area.set(name, nil)
                model[name] = nil
            } else {
                let value = String(repeating: "v", count: Int(rng.next() % 40))
                do {
                    try area.set(name, value)
                    model[name] = value
                } catch BootEnvironmentError.full {
                    // Refused whole: the model keeps the old value.
                }
            }
            var seen: [String: String] = [:]
            var order: [String] = []
            area.vars.forEach { n, v in
                let key = String(decoding: n, as: UTF8.self)
                seen[key] = v.map { String(decoding: $0, as: UTF8.self) }
                order.append(key)
                return true
            }
            #expect(seen == model)
            #expect(order == order.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            #expect(area.tailIsZero)
        }
    }

    @Test func randomImagesAreRefusedWithATypedReason() throws {
        var rng = Generator(state: 42)
        let policy = ImageFixtures.policy()
        let key = try ImageFixtures.key()
        let valid = try ImageFixtures.image(version: "1.2.3", payload: ImageFixtures.payload(64))
        for round in 0..<2000 {
            var image = valid
            // Mutate a few bytes anywhere, or the length.
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = Int(rng.next() % UInt64(image.count))
                image[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            if round % 5 == 0 { image = Array(image.prefix(Int(rng.next() % UInt64(image.count)))) }
            var received: [UInt8] = []
            let result = readImage(image, chunk: 1 + Int(rng.next() % 50), policy: policy, key: key, received: &received)
            if image == valid { #expect(result.success != nil) } else if let error = result.failure {
                #expect(error.progressStep < 0)
            } else {
                // A mutation that leaves an acceptable image must be in a byte nobody reads
                // (impossible here: every byte is checked, reserved or signed).
                Issue.record("round \(round): a mutated image was accepted")
            }
        }
    }

    struct NullDevice: SlotDevice {
        var written: UInt64 = 0
        mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) { written += UInt64(bytes.count) }
        mutating func synchronize() throws(Errno) {}
    }

    @Test func feedingAnInstallAllocatesNothing() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(512 * 1024))
        let memory = try PowerCutTests.initialEnvironment()
        var env = PowerCutTests.makeEnvironment(memory, PowerSupply(budget: nil))
        try env.load()
        var installer = try SlotInstaller.begin(environment: env, target: .b, device: NullDevice(), policy: ImageFixtures.policy())
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: image.count, alignment: 8)
        defer { buffer.deallocate() }
        image.withUnsafeBytes { buffer.copyMemory(from: $0) }
        var failure: SlotError? = nil
        do throws(SlotError) { try installer.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<4096]), environment: &env) } catch { failure = error }
        var offset = 4096
        let counted = AllocationCounter.count {
            while offset < image.count {
                let n = min(16384, image.count - offset)
                do throws(SlotError) { try installer.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]), environment: &env) } catch {
                    failure = error; return
                }
                offset += n
            }
        }
        #expect(failure == nil)
        #expect(counted.allocations == 0, "\(counted)")
        #expect(throws: Never.self) { _ = try installer.finish(key: try ImageFixtures.key()) }
    }
}
