import Foundation
import Testing

/// `make image` and `make firmware OTA_KEY=…` as a release engineer runs them: the signing key is
/// named explicitly (the test key only as `KEY=test`), the header's version is the binary's (a
/// different `VERSION=` is refused), and the product's public key comes from a file
/// generated into the build directory and linked in, never written into Sources/. The refusals
/// come before anything is built; the key's generation is checked on firmware.mk's dry run.
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

    /// A dry run of firmware.mk's firmware build with `key` as OTA_KEY (nil: none) and `version`
    /// as FW_VERSION: every Swift module's compile line, and the identity file it generated.
    static func dryRun(key: String?, version: String? = nil, build: URL) throws
        -> (status: Int32, swiftLines: [String], identity: URL?, output: String) {
        var args = ["-n", "-f", "firmware.mk", "FW_INNER=1", "BOARD=qemu-aarch64", "FW_BUILD=\(build.path)",
                    "FW_OUT=\(build.appendingPathComponent("out").path)", "fw-all"]
        if let key { args.append("OTA_KEY=\(key)") }
        if let version { args.append("FW_VERSION=\(version)") }
        let (status, output) = try make(args)
        let lines = output.split(separator: "\n").map(String.init)
        let swiftLines = lines.filter { $0.contains("-module-name ") }
        let identity = lines.lazy.flatMap { $0.split(separator: " ") }.first { $0.hasSuffix("/identity.c") }
            .map { URL(fileURLWithPath: String($0)) }
        return (status, swiftLines, identity, output)
    }

    /// The hexadecimal bytes of a generated identity file (only the key is written as 0x..).
    static func keyBytes(_ identity: URL) throws -> [UInt8] {
        try String(contentsOf: identity, encoding: .utf8)
            .split(whereSeparator: { ", \n".contains($0) })
            .compactMap { $0.hasPrefix("0x") ? UInt8($0.dropFirst(2), radix: 16) : nil }
    }

    @Test func aProductKeyIsLinkedInFromTheBuildDirectory() throws {
        let dir = try TestFiles.scratchDirectory("release-key"); defer { TestFiles.remove(dir) }
        let der = ImageFixtures.keys.appendingPathComponent("test-signing-key.der")
        let keyed = try Self.dryRun(key: der.path, build: dir.appendingPathComponent("keyed"))
        #expect(keyed.status == 0, "\(keyed.output)")
        #expect(keyed.output.contains("OTA key \(der.path) compiled in"))
        // The generated identity, in the build directory, holds exactly the key's bytes.
        let identity = try #require(keyed.identity, "\(keyed.output)")
        #expect(identity.path.hasPrefix(dir.appendingPathComponent("keyed").path), "\(identity.path)")
        #expect(try Self.keyBytes(identity) == ImageFixtures.testKeyDER)
        // Without OTA_KEY: no key bytes, and the build says the firmware refuses every image.
        let bare = try Self.dryRun(key: nil, build: dir.appendingPathComponent("bare"))
        #expect(bare.status == 0, "\(bare.output)")
        #expect(bare.output.contains("no OTA key (OTA_KEY=<public.der>): this firmware refuses every image"))
        #expect(try Self.keyBytes(try #require(bare.identity, "\(bare.output)")) == [])
        // An empty or foreign key file stops the build with the reason.
        let empty = dir.appendingPathComponent("empty.der")
        try Data().write(to: empty)
        let refused = try Self.dryRun(key: empty.path, build: dir.appendingPathComponent("empty"))
        #expect(refused.status != 0)
        #expect(refused.output.contains("OTA_KEY=\(empty.path): make-image: \(empty.path): not a DER public key (0 bytes)"), "\(refused.output)")
    }

    /// The key, the version and the revision are linked in: changing them recompiles no Swift
    /// module (the upgrade tests' test-key and next-release firmwares are relinks of the board's
    /// build), and no module's sources include a generated file.
    @Test func anotherKeyOrVersionCompilesTheSameSwiftModules() throws {
        let dir = try TestFiles.scratchDirectory("release-identity"); defer { TestFiles.remove(dir) }
        let der = ImageFixtures.keys.appendingPathComponent("test-signing-key.der")
        let build = dir.appendingPathComponent("build")
        let bare = try Self.dryRun(key: nil, build: build)
        let keyed = try Self.dryRun(key: der.path, version: "9.8.7", build: build)
        #expect(bare.status == 0 && keyed.status == 0, "\(bare.output)\n\(keyed.output)")
        #expect(bare.swiftLines.count > 10, "\(bare.output)")
        #expect(keyed.swiftLines == bare.swiftLines)
        #expect(!bare.swiftLines.contains { $0.contains(build.path + "/link/") }, "\(bare.swiftLines)")
        let identity = try #require(keyed.identity)
        let text = try String(contentsOf: identity, encoding: .utf8)
        #expect(text.contains(#"edge_build_version(void) { return "9.8.7"; }"#), "\(text)")
        #expect(text.contains(#"edge_build_board(void) { return "qemu-aarch64"; }"#), "\(text)")
    }
}
