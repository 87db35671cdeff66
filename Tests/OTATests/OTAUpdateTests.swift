import EdgeCore
import EdgeCrypto
import Foundation
import OTA
import Testing

/// A cloud-ordered update end to end up to activation: HTTP download through a drop, the
/// cloud's md5/sha256 (computed here by coreutils), the signed image into the inactive slot,
/// progress steps; and each refusal leaving the target unbootable.
@Suite(.serialized) struct OTAUpdateTests {
    static func digest(_ tool: String, _ bytes: [UInt8]) throws -> String {
        let dir = try TestFiles.scratchDirectory("digest"); defer { TestFiles.remove(dir) }
        let file = dir.appendingPathComponent("f")
        try Data(bytes).write(to: file)
        return String(try TestFiles.check("/usr/bin/\(tool)", [file.path]).prefix(while: { $0 != " " }))
    }

    struct Outcome {
        var result: Result<FirmwareImageHeader, SlotError>
        var reports: [Int]
        var vars: [String: String]
        var slotB: [UInt8]
    }

    static func run(image: [UInt8], sign: String, method: String, version: String = "2.0.0", size: UInt64? = nil,
                    serverArguments: [String] = [], cmdline: String = "rauc.slot=A") throws -> Outcome {
        let g = try SlotInstallTests.gateway("update")
        defer { TestFiles.remove(g.dir) }
        let server = try HTTPRangeServer(files: ["fw.img": image], arguments: serverArguments)
        defer { _ = server.stop() }
        let order = try UpgradeOrder(version: version, fileURL: server.url("fw.img"), fileSize: size ?? UInt64(image.count),
                                     sign: sign, signMethod: method)
        var env = try openEnvironment(g.tools.config)
        try env.load()
        let booted = try #require(BootedSlot.fromCommandLine(cmdline))
        let key = try ImageFixtures.key()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var reports: [Int] = []
        var result: Result<FirmwareImageHeader, SlotError>
        do throws(SlotError) {
            result = .success(try OTAUpdate.install(order: order, transport: TCPStream(), isTLS: false, environment: &env, slots: g.slots, booted: booted, key: key,
                                                    board: "qemu-aarch64", running: FirmwareVersion("1.0.0")!,
                                                    retryDelayMilliseconds: 0, buffer: buffer,
                                                    progress: { reports.append($0.step) }))
        } catch { result = .failure(error) }
        return Outcome(result: result, reports: reports, vars: try g.tools.printenv(),
                       slotB: Array(try Data(contentsOf: URL(fileURLWithPath: g.slots.b))))
    }

    @Test func anOrderedUpdateIsDownloadedCheckedInstalledAndActivated() throws {
        let payload = ImageFixtures.payload(200_000)
        let image = try ImageFixtures.image(version: "2.0.0", payload: payload)
        let o = try Self.run(image: image, sign: try Self.digest("md5sum", image), method: "md5",
                             serverArguments: ["--drop-after", "90000", "--drops", "1"])
        #expect(o.result.success?.version == FirmwareVersion("2.0.0")!, "\(o.result)")
        #expect(o.slotB == payload)
        #expect(o.vars["BOOT_ORDER"] == "B A")
        #expect(o.vars["BOOT_B_LEFT"] == "3")
        #expect(o.reports.first == 1 || (o.reports.first ?? 0) <= 10)
        #expect(o.reports.suffix(3) == [80, 85, 95], "\(o.reports)")
        #expect(o.reports == o.reports.sorted())
    }

    @Test func sha256OrdersWorkToo() throws {
        let image = try ImageFixtures.image(version: "v2.0.0", payload: ImageFixtures.payload(1000))
        let o = try Self.run(image: image, sign: try Self.digest("sha256sum", image).uppercased(), method: "SHA-256", version: "v2.0.0")
        #expect(o.result.success != nil, "\(o.result)")
    }

    @Test func aWrongCloudDigestIsRefusedAndNothingActivated() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(5000))
        let o = try Self.run(image: image, sign: String(repeating: "0", count: 32), method: "md5")
        #expect(o.result.failure == .image(.cloudDigestMismatch))
        #expect(o.result.failure?.progressStep == -3)
        #expect(o.vars["BOOT_ORDER"] == "A B")
        #expect(o.vars["BOOT_B_LEFT"] == "0")
    }

    @Test func aWrongSizeIsADownloadFailure() throws {
        let image = try ImageFixtures.image(version: "2.0.0", payload: ImageFixtures.payload(5000))
        let o = try Self.run(image: image, sign: try Self.digest("md5sum", image), method: "md5", size: 4000)
        #expect(o.result.failure == .download(.sizeMismatch(expected: 4000, actual: UInt64(image.count))))
        #expect(o.result.failure?.progressStep == -2)
        #expect(o.vars["BOOT_ORDER"] == "A B")
    }

    @Test func anImageOfAnotherVersionThanOrderedIsRefused() throws {
        let image = try ImageFixtures.image(version: "2.0.1", payload: ImageFixtures.payload(5000))
        let o = try Self.run(image: image, sign: try Self.digest("md5sum", image), method: "md5", version: "2.0.0")
        #expect(o.result.failure == .image(.notTheOrderedVersion))
        #expect(o.vars["BOOT_B_LEFT"] == "0")
    }

    @Test func ordersWithUnknownDigestsAreRefusedUpFront() {
        #expect(throws: FirmwareImageError.unsupportedCloudDigest) {
            _ = try UpgradeOrder(version: "1", fileURL: "http://h/x", fileSize: nil, sign: "00", signMethod: "crc32")
        }
        #expect(throws: FirmwareImageError.unsupportedCloudDigest) {
            _ = try UpgradeOrder(version: "1", fileURL: "http://h/x", fileSize: nil, sign: "abcd", signMethod: "md5")
        }
    }

    @Test func progressStepsAdvanceByTheInterval() {
        var p = OTAProgress(interval: 10)
        var steps: [Int] = []
        for received in stride(from: UInt64(0), through: 1000, by: 7) {
            if let r = p.downloaded(received, of: 1000) { steps.append(r.step) }
        }
        if let r = p.downloaded(1000, of: 1000) { steps.append(r.step) }
        #expect(steps.first == 1)
        #expect(steps.last == 80)
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $1 - $0 >= 10 || $1 == 80 })
    }
}
