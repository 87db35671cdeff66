import EdgeCore
import EdgeCrypto
import Foundation
import OTA
import Testing

/// A file that is refused changes nothing: `edge-agent ota install` of an empty file, random
/// bytes, another board's image, a downgrade, a bad signature or a tampered payload leaves the
/// U-Boot environment byte for byte as it was (and as Debian's fw_printenv reads it) and the
/// inactive slot's content intact, so a good fallback in slot B stays bootable. A streamed
/// image (a download is not read twice) changes nothing when its header is refused; once the
/// header was accepted and payload written, the target is unbootable after a refusal.
@Suite(.serialized) struct RefusedImageTests {
    static let initial = ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3", "EDGE_VERSION_B=1.0.0"]
    static let fallback = Data("good fallback firmware in B".utf8)

    /// What `ota install` is given, each refused for its own reason.
    enum RefusedFile: String, CaseIterable, CustomTestStringConvertible {
        case empty, randomBytes, anotherBoard, downgrade, cutInTheHeader, badSignature, tamperedPayload

        var testDescription: String { rawValue }

        func bytes() throws -> [UInt8] {
            let payload = ImageFixtures.payload(30_000)
            switch self {
            case .empty: return []
            case .randomBytes:
                var state: UInt32 = 0x2545_F491
                return (0..<65_536).map { _ in
                    state ^= state << 13; state ^= state >> 17; state ^= state << 5
                    return UInt8(truncatingIfNeeded: state)
                }
            case .anotherBoard: return try ImageFixtures.image(board: "qemu-armv7", version: "2.0.0", payload: payload)
            case .downgrade: return try ImageFixtures.image(version: "0.9.0", payload: payload)
            case .cutInTheHeader: return Array(try ImageFixtures.image(version: "2.0.0", payload: payload).prefix(100))
            case .badSignature: return try ImageFixtures.image(version: "2.0.0", payload: payload, key: ImageFixtures.otherKeyPEM)
            case .tamperedPayload:
                var image = try ImageFixtures.image(version: "2.0.0", payload: payload)
                image[FirmwareImageHeader.size + 20_000] ^= 0x10
                return image
            }
        }

        var reason: String {
            switch self {
            case .empty, .cutInTheHeader: return "(progress step -2): image refused: truncated"
            case .randomBytes: return "(progress step -3): image refused: not an edge-agent firmware image"
            case .anotherBoard: return "(progress step -3): image refused: built for another board"
            case .downgrade: return "(progress step -5): image refused: older than the running firmware"
            case .badSignature: return "(progress step -3): image refused: signature does not verify"
            case .tamperedPayload: return "(progress step -3): image refused: payload SHA-256 does not match"
            }
        }
    }

    struct Board {
        let dir: URL
        let tools: UBootTools
        let envFile: URL
        let slotA: URL
        let slotB: URL
        let slots: URL

        init(_ tag: String) throws {
            dir = try TestFiles.scratchDirectory(tag)
            tools = try OTACommandTests.environment(dir, RefusedImageTests.initial)
            envFile = dir.appendingPathComponent("uboot.env")
            slotA = dir.appendingPathComponent("slot-a")
            slotB = dir.appendingPathComponent("slot-b")
            try Data("running A".utf8).write(to: slotA)
            try RefusedImageTests.fallback.write(to: slotB)
            slots = dir.appendingPathComponent("slots.txt")
            try "A \(slotA.path)\nB \(slotB.path)\n".write(to: slots, atomically: true, encoding: .utf8)
        }

        func install(_ image: [UInt8]) throws -> (status: Int32, output: String) {
            let file = dir.appendingPathComponent("update.img")
            try Data(image).write(to: file)
            let key = ImageFixtures.keys.appendingPathComponent("test-signing-key.der").path
            return try OTACommandTests.agent(["ota", "install", "--env-config", tools.config.path, "--slots", slots.path,
                                              "--key", key, "--board", "qemu-aarch64", "--running", "1.0.0",
                                              "--cmdline", "rauc.slot=A", file.path])
        }
    }

    @Test(arguments: RefusedFile.allCases)
    func aRefusedFileChangesNeitherTheEnvironmentNorTheSlot(_ refused: RefusedFile) throws {
        let board = try Board("refused-\(refused.rawValue)"); defer { TestFiles.remove(board.dir) }
        let envBefore = try Data(contentsOf: board.envFile)
        let varsBefore = try board.tools.printenv()
        let (status, output) = try board.install(try refused.bytes())
        #expect(status == 1, "\(output)")
        #expect(output.contains("install failed \(refused.reason)"), "\(output)")
        #expect(try board.tools.printenv() == varsBefore)
        #expect(try board.tools.printenv()["BOOT_B_LEFT"] == "3")
        #expect(try Data(contentsOf: board.envFile) == envBefore, "the environment file was rewritten")
        #expect(try Data(contentsOf: board.slotB) == Self.fallback, "slot B was written")
        #expect(try Data(contentsOf: board.slotA) == Data("running A".utf8))
    }

    /// The streaming path of a download: a header refused in the first chunk changes nothing;
    /// a bad signature, known only at the end, leaves B unbootable (its bytes were overwritten)
    /// and A first.
    @Test func aStreamedImageChangesNothingUntilItsHeaderIsAccepted() throws {
        let board = try Board("refused-stream"); defer { TestFiles.remove(board.dir) }
        let envBefore = try Data(contentsOf: board.envFile)
        let otherBoard = try RefusedFile.anotherBoard.bytes()
        #expect(try Self.stream(otherBoard, board) == .image(.wrongBoard))
        #expect(try Data(contentsOf: board.envFile) == envBefore, "the environment file was rewritten")
        #expect(try Data(contentsOf: board.slotB) == Self.fallback)
        #expect(try Self.stream([], board) == .image(.truncated))
        #expect(try Data(contentsOf: board.envFile) == envBefore, "the environment file was rewritten")

        #expect(try Self.stream(try RefusedFile.badSignature.bytes(), board) == .image(.badSignature))
        let vars = try board.tools.printenv()
        #expect(vars["BOOT_ORDER"] == "A B" && vars["BOOT_A_LEFT"] == "3" && vars["BOOT_B_LEFT"] == "0", "\(vars)")
        #expect(vars["EDGE_VERSION_B"] == nil && vars["EDGE_TRIAL"] == nil, "\(vars)")
    }

    /// Feeds `image` to a `SlotInstaller` in 4 KB chunks, as a download arrives; returns the refusal.
    static func stream(_ image: [UInt8], _ board: Board) throws -> SlotError? {
        var env = try openEnvironment(board.tools.config)
        try env.load()
        let slots = SlotSet(a: board.slotA.path, b: board.slotB.path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(image.count, 1), alignment: 8)
        defer { buffer.deallocate() }
        image.withUnsafeBytes { if $0.count > 0 { buffer.copyMemory(from: $0) } }
        let key = try ImageFixtures.key()
        do throws(SlotError) {
            var installer = try SlotInstaller.begin(environment: env, target: .b, device: try slots.openForInstall(.b, booted: .a),
                                                    policy: ImageFixtures.policy())
            var offset = 0
            while offset < image.count {
                let n = min(4096, image.count - offset)
                try installer.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]), environment: &env)
                offset += n
            }
            _ = try installer.finish(key: key)
            return nil
        } catch {
            return error
        }
    }
}
