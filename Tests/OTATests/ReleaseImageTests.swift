import Foundation
import Testing

/// `make image` and `make firmware OTA_KEY=…` as a release engineer runs them: the signing key is
/// named explicitly (the test key only as `KEY=test`), the header's version is the binary's (a
/// different `VERSION=` is refused), and the product's public key is compiled in from a file
/// generated into the build directory, never from Sources/ (whose key stays empty). The refusals
/// come before anything is built; the key's compilation is checked on firmware.mk's dry run.
@Suite(.serialized) struct ReleaseImageTests {
    static func make(_ args: [String]) throws -> (status: Int32, output: String) {
        try TestFiles.run("/usr/bin/make", ["-s", "--no-print-directory", "-C", TestFiles.packageRoot.path] + args)
    }

    static var fileVersion: String {
        (try? String(contentsOf: TestFiles.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }

    @Test func makeImageRequiresTheSigningKeyToBeNamed() throws {
        let (status, output) = try Self.make(["image", "BOARD=qemu-aarch64"])
        #expect(status == 2, "\(output)")
        #expect(output.contains("make image: KEY=<signing-key.pem> is required"), "\(output)")
        let missing = try Self.make(["image", "BOARD=qemu-aarch64", "KEY=/nonexistent/key.pem"])
        #expect(missing.status == 2 && missing.output.contains("KEY=/nonexistent/key.pem: no such file"), "\(missing.output)")
    }

    @Test func makeImageRefusesAVersionOtherThanTheBinarys() throws {
        let (status, output) = try Self.make(["image", "BOARD=qemu-aarch64", "KEY=test", "VERSION=9.9.9"])
        #expect(status == 2, "\(output)")
        #expect(output.contains("VERSION=9.9.9 differs from the VERSION file (\(Self.fileVersion))"), "\(output)")
    }

    @Test func theTestKeyIsAnOptInAndMarkedInTheImageName() throws {
        let (status, output) = try Self.make(["-n", "image", "BOARD=qemu-aarch64", "KEY=test"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("--key Tests/OTAFixtures/Keys/test-signing-key.pem"), "\(output)")
        #expect(output.contains("--version \(Self.fileVersion) "), "\(output)")
        #expect(output.contains("edge-agent-\(Self.fileVersion)-TESTKEY.img"), "\(output)")
        #expect(output.contains("OTA_KEY="), "the firmware in the image must be built with the key's public half: \(output)")
    }

    /// The OTA module's compile line of a dry run of firmware.mk with `key` as OTA_KEY (nil: none).
    static func otaCompileLine(key: String?, build: URL) throws -> (status: Int32, line: String, output: String) {
        var args = ["-n", "-f", "firmware.mk", "FW_INNER=1", "BOARD=qemu-aarch64", "FW_BUILD=\(build.path)",
                    "FW_OUT=\(build.appendingPathComponent("out").path)", "fw-all"]
        if let key { args.append("OTA_KEY=\(key)") }
        let (status, output) = try make(args)
        let line = output.split(separator: "\n").first { $0.contains("-module-name OTA ") }.map(String.init) ?? ""
        return (status, line, output)
    }

    @Test func aProductKeyIsCompiledInFromTheBuildDirectory() throws {
        let dir = try TestFiles.scratchDirectory("release-key"); defer { TestFiles.remove(dir) }
        let der = ImageFixtures.keys.appendingPathComponent("test-signing-key.der")
        let keyed = try Self.otaCompileLine(key: der.path, build: dir.appendingPathComponent("keyed"))
        let generated = dir.appendingPathComponent("keyed/TrustedFirmwareKey.swift")
        #expect(keyed.status == 0, "\(keyed.output)")
        #expect(keyed.line.contains(generated.path), "\(keyed.line)")
        #expect(!keyed.line.contains("Sources/OTA/TrustedFirmwareKey.swift"), "\(keyed.line)")
        #expect(keyed.output.contains("OTA key \(der.path) compiled in"))
        // The generated file holds exactly the key's bytes.
        let text = try String(contentsOf: generated, encoding: .utf8)
        let bytes = text.split(whereSeparator: { ", \n".contains($0) }).compactMap { $0.hasPrefix("0x") ? UInt8($0.dropFirst(2), radix: 16) : nil }
        #expect(bytes == ImageFixtures.testKeyDER)
        // Without OTA_KEY: Sources' empty key, and the build says the firmware refuses every image.
        let bare = try Self.otaCompileLine(key: nil, build: dir.appendingPathComponent("bare"))
        #expect(bare.line.contains("Sources/OTA/TrustedFirmwareKey.swift"), "\(bare.line)")
        #expect(bare.output.contains("no OTA key (OTA_KEY=<public.der>): this firmware refuses every image"))
        // An empty or foreign key file stops the build with the reason.
        let empty = dir.appendingPathComponent("empty.der")
        try Data().write(to: empty)
        let refused = try Self.otaCompileLine(key: empty.path, build: dir.appendingPathComponent("empty"))
        #expect(refused.status != 0)
        #expect(refused.output.contains("OTA_KEY=\(empty.path): make-image: \(empty.path): not a DER public key (0 bytes)"), "\(refused.output)")
    }
}
