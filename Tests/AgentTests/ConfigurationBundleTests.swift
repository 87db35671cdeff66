import EdgeCore
import Foundation
import Testing
@testable import Configuration

/// Configuration bundles made by Tools/make-config-bundle.py (Python `cryptography`: an
/// independent implementation of the format) verified by `ConfigurationBundle.verify` against the
/// test key, and applied by `ConfigurationApply`: a good bundle verifies and is written with the
/// old file kept; unsigned, tampered, foreign-key, truncated and version-less bundles are each
/// refused with their own reason; an invalid configuration is refused with every error and its
/// path; nothing refused writes anything.
@Suite struct ConfigurationBundleTests {
    static let root = AgentConfigurationTests.packageRoot
    static let keys = root.appendingPathComponent("Tests/OTAFixtures/Keys")
    static var testKeyDER: [UInt8] { Array(try! Data(contentsOf: keys.appendingPathComponent("test-signing-key.der"))) }

    /// A bundle of `config` signed (or not) with the named key by the Python tool.
    static func bundle(_ config: String, version: String = "2026.12-1", key: String = "test-signing-key.pem",
                       unsigned: Bool = false) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("config.json"), output = dir.appendingPathComponent("config.cfgb")
        try config.write(to: input, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", root.appendingPathComponent("Tools/make-config-bundle.py").path, "build",
                       "--key", keys.appendingPathComponent(key).path, "--config", input.path, "--version", version,
                       "--output", output.path] + (unsigned ? ["--unsigned"] : [])
        try p.run()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "make-config-bundle.py failed")
        return Array(try Data(contentsOf: output))
    }

    static func verify(_ bundle: [UInt8], key: [UInt8] = testKeyDER) -> Result<ConfigurationBundle, ConfigurationBundleError> {
        bundle.withUnsafeBytes { b in
            key.withUnsafeBytes { k in
                do throws(ConfigurationBundleError) { return .success(try ConfigurationBundle.verify(b, trustedKey: k)) } catch { return .failure(error) }
            }
        }
    }

    static func refusal(_ bundle: [UInt8], key: [UInt8] = testKeyDER) -> ConfigurationBundleError? {
        if case .failure(let e) = verify(bundle, key: key) { return e }
        return nil
    }

    @Test func aSignedBundleVerifiesAndCarriesItsVersionAndConfiguration() throws {
        let b = try Self.bundle(AgentConfigurationTests.minimal)
        let verified = try Self.verify(b).get()
        #expect(verified.version == "2026.12-1")
        let config = try AgentConfiguration.parse(Array(b[verified.configuration]), file: "bundle", checkDevicePaths: false)
        #expect(config.revision.version == "2026.12-1", "the tool writes the version into the configuration")
        #expect(config.fieldBus.devices.count == 2)
    }

    static func offset(of text: String, in bytes: [UInt8]) -> Int? {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }

    @Test func anUnsignedBundleIsRefusedAsUnsigned() throws {
        #expect(Self.refusal(try Self.bundle(AgentConfigurationTests.minimal, unsigned: true)) == .unsigned)
        // A signature field of length 0.
        var zeroLength = try Self.bundle(AgentConfigurationTests.minimal)
        let verified = try Self.verify(zeroLength).get()
        zeroLength.removeSubrange((verified.configuration.upperBound + 2)...)
        zeroLength[verified.configuration.upperBound] = 0
        zeroLength[verified.configuration.upperBound + 1] = 0
        #expect(Self.refusal(zeroLength) == .unsigned)
    }

    @Test func aChangedConfigurationOrSignatureIsRefusedAsTampered() throws {
        let good = try Self.bundle(AgentConfigurationTests.minimal)
        let verified = try Self.verify(good).get()
        var changed = good
        let offset = try #require(Self.offset(of: "1502", in: good))
        #expect(verified.configuration.contains(offset))
        changed[offset] = UInt8(ascii: "9")   // port 9502
        #expect(Self.refusal(changed) == .tampered)
        // The digest updated too (a header consistent with the new bytes): the signature fails.
        var rehashed = changed
        let hex = Array(ConfigurationRevision(version: "", bytes: Array(changed[verified.configuration])).sha256.utf8)
        let digest = stride(from: 0, to: 64, by: 2).map { UInt8(String(decoding: hex[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
        rehashed.replaceSubrange(56..<88, with: digest)
        #expect(Self.refusal(rehashed) == .tampered)
        var badSignature = good
        badSignature[good.count - 5] ^= 0x40
        #expect(Self.refusal(badSignature) == .tampered)
    }

    @Test func aBundleSignedByAnotherKeyIsRefusedAsForeign() throws {
        let b = try Self.bundle(AgentConfigurationTests.minimal, key: "other-signing-key.pem")
        #expect(Self.refusal(b) == .foreignKey)
        // Trusting that key instead, it verifies: the refusal is about the key, not the bytes.
        let other = Array(try Data(contentsOf: Self.keys.appendingPathComponent("other-signing-key.der")))
        #expect(Self.refusal(b, key: other) == nil)
    }

    @Test func aBundleCutShortIsRefusedAsTruncated() throws {
        let b = try Self.bundle(AgentConfigurationTests.minimal)
        for length in [3, 100, 200, b.count - 20, b.count - 1] {
            #expect(Self.refusal(Array(b[0..<length])) == .truncated, "cut at \(length) of \(b.count)")
        }
    }

    @Test func aBundleWithoutAVersionIsRefused() throws {
        var b = try Self.bundle(AgentConfigurationTests.minimal)
        b.replaceSubrange(16..<48, with: [UInt8](repeating: 0, count: 32))
        #expect(Self.refusal(b) == .versionMissing)
    }

    @Test func withoutATrustedKeyEveryBundleIsRefused() throws {
        let b = try Self.bundle(AgentConfigurationTests.minimal)
        #expect(Self.refusal(b, key: []) == .noTrustedKey)
        #expect(Self.refusal(Array("not a bundle at all".utf8)) == .notABundle)
    }

    // MARK: apply

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apply-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func apply(_ bundle: [UInt8], to file: URL) -> Result<ConfigurationRevision, ConfigurationApplyError> {
        do throws(ConfigurationApplyError) {
            return .success(try ConfigurationApply.apply(bundle, name: "new.cfgb", trustedKey: testKeyDER, to: file.path,
                                                         checkDevicePaths: false))
        } catch {
            return .failure(error)
        }
    }

    static func files(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    @Test func applyingWritesTheNewConfigurationAndKeepsTheOldAsPrevious() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("agent.json")
        try "{\"old\": true}".write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        let next = AgentConfigurationTests.minimal.replacingOccurrences(of: "1502", with: "1503")
        let revision = try Self.apply(try Self.bundle(next, version: "7"), to: file).get()
        let written = try String(contentsOf: file, encoding: .utf8)
        #expect(written.contains("\"port\": 1503") && written.contains("\"version\": \"7\""))
        #expect(try String(contentsOf: dir.appendingPathComponent("agent.json.previous"), encoding: .utf8) == "{\"old\": true}")
        #expect(Self.files(dir) == ["agent.json", "agent.json.previous", "agent.json.trial"],
                "no temporary file left; the trial marker (BUNDLE.md \"Trial and rollback\") beside the previous file")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o640, "the old file's permissions")
        // The revision is the one the agent computes when it loads the file.
        let loaded = try AgentConfiguration.load(file: file.path, checkDevicePaths: false)
        #expect(loaded.revision == revision)
        #expect(revision.version == "7" && revision.sha256.count == 64)
    }

    @Test func anInvalidConfigurationIsRefusedWithEveryErrorAndItsPathAndNothingIsWritten() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("agent.json")
        try "{\"old\": true}".write(to: file, atomically: true, encoding: .utf8)
        let bad = AgentConfigurationTests.minimal
            .replacingOccurrences(of: "\"port\": 1502", with: "\"port\": 70000")
            .replacingOccurrences(of: "\"unit\": 2", with: "\"unit\": 2, \"colour\": \"red\"")
        guard case .failure(let error) = Self.apply(try Self.bundle(bad), to: file), case .invalid(let errors) = error else {
            Issue.record("an invalid configuration was applied")
            return
        }
        let lines = errors.errors.map(\.description)
        #expect(lines.contains { $0.hasPrefix("new.cfgb: buses[0].port") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("new.cfgb: devices[1].colour") }, "\(lines)")
        #expect(try String(contentsOf: file, encoding: .utf8) == "{\"old\": true}")
        #expect(Self.files(dir) == ["agent.json"])
    }

    @Test func everyRefusedBundleLeavesTheConfigurationDirectoryAsItWas() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("agent.json")
        try "{\"old\": true}".write(to: file, atomically: true, encoding: .utf8)
        let good = try Self.bundle(AgentConfigurationTests.minimal)
        var tampered = good
        tampered[200] ^= 1
        var versionless = good
        versionless.replaceSubrange(16..<48, with: [UInt8](repeating: 0, count: 32))
        let refused: [(String, [UInt8])] = [
            ("unsigned", try Self.bundle(AgentConfigurationTests.minimal, unsigned: true)),
            ("tampered", tampered),
            ("foreign", try Self.bundle(AgentConfigurationTests.minimal, key: "other-signing-key.pem")),
            ("truncated", Array(good.dropLast(10))),
            ("versionless", versionless),
        ]
        for (name, bundle) in refused {
            guard case .failure(.refused) = Self.apply(bundle, to: file) else {
                Issue.record("\(name) bundle not refused")
                continue
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == "{\"old\": true}", "\(name)")
            #expect(Self.files(dir) == ["agent.json"], "\(name)")
        }
    }
}
