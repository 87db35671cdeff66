import Agent
import EdgeCore
import Foundation
import Testing
import TLS
@testable import Configuration

/// The console and logging sections of the agent's config, and the secrets registered from a
/// configuration: every device secret, the console password and the TLS key passphrase are
/// masked; bad values are refused with their path.
@Suite struct AgentSecretsTests {
    static func config(_ text: String) throws -> AgentConfiguration {
        try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
    }

    static func withTLS(console: String, logging: String) throws -> (String, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agent-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Real files: the configuration parses them at load. The key is encrypted with the
        // passphrase (PEM encryption, which mbedTLS reads) and belongs to the certificate.
        let k = dir.appendingPathComponent("k.pem").path, c = dir.appendingPathComponent("c.pem").path
        try Self.openssl(["ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", k + ".plain"])
        try Self.openssl(["ec", "-in", k + ".plain", "-aes256", "-passout", "pass:key-passphrase-7", "-out", k])
        try Self.openssl(["req", "-x509", "-key", k + ".plain", "-out", c, "-days", "2", "-subj", "/CN=secrets test"])
        try FileManager.default.copyItem(atPath: c, toPath: dir.appendingPathComponent("ca.pem").path)
        let tls = #""tls": {"caFile": "\#(dir.path)/ca.pem", "certFile": "\#(dir.path)/c.pem", "keyFile": "\#(dir.path)/k.pem", "keyPassword": "key-passphrase-7"},"#
        let text = AgentConfigurationTests.minimal
            .replacingOccurrences(of: #""port": 1883,"#, with: tls)
            .replacingOccurrences(of: #""ringLog""#, with: #""console": \#(console), "logging": \#(logging), "ringLog""#)
        return (text, dir)
    }

    static func openssl(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw CocoaError(.fileWriteUnknown) }
    }

    @Test func consoleAndLoggingSettingsAreRead() throws {
        let (text, dir) = try Self.withTLS(console: #"{"input": "tty", "device": "/dev/ttyS9", "password": "pw-123", "idleLogoutSeconds": 30}"#,
                                           logging: #"{"level": "debug", "output": "syslog", "historyLines": 50}"#)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Self.config(text)
        #expect(config.console == ConsoleSettings(input: .tty(device: "/dev/ttyS9"), password: "pw-123", idleLogoutMilliseconds: 30_000))
        #expect(config.logging == LoggingSettings(level: .debug, output: .syslog, historyLines: 50))
        #expect(config.cloud.tls?.keyPassword == "key-passphrase-7")
        let defaults = try Self.config(AgentConfigurationTests.minimal)
        #expect(defaults.console == ConsoleSettings())
        #expect(defaults.logging == LoggingSettings(level: .info, output: .stderr, historyLines: 200))
    }

    @Test func everySecretOfTheConfigurationIsMasked() throws {
        let (text, dir) = try Self.withTLS(console: #"{"input": "stdin", "password": "pw-123"}"#, logging: "{}")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try Self.config(text)
        #expect(AgentSecrets.all(config) == ["gsecret", "s1", "pw-123", "key-passphrase-7"])
        let registry = AgentSecrets.registry(config)
        let line = Array("login gsecret, d1 s1, console pw-123, key key-passphrase-7.".utf8)
        var masked: [UInt8] = []
        line.withUnsafeBytes { bytes in registry.mask(bytes) { masked += $0 } }
        #expect(String(decoding: masked, as: UTF8.self) == "login ***, d1 ***, console ***, key ***.")
        // The console registers its password again: there is room, and it is not added twice.
        #expect(registry.register("pw-123"))
        #expect(registry.count == 4)
        let shown = config.maskedLines().joined(separator: "\n")
        for secret in AgentSecrets.all(config) { #expect(!shown.contains(secret), "\(secret) in maskedLines") }
    }

    /// An IEC 104 bus's TLS key passphrase (IEC 62351-3) is a secret like the cloud's: before,
    /// only `cloud.tls.keyPassword` was registered, so the bus's could reach the log.
    @Test func anIEC104BusKeyPassphraseIsMaskedToo() throws {
        let (text, dir) = try Self.withTLS(console: #"{"input": "stdin"}"#, logging: "{}")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = try Self.config(text)
        config.fieldBus.buses[0].iec104TLS = TLSFileSettings(caFile: dir.appendingPathComponent("ca.pem").path,
                                                             certificateFile: dir.appendingPathComponent("c.pem").path,
                                                             keyFile: dir.appendingPathComponent("k.pem").path,
                                                             keyPassword: "bus-passphrase-3")
        #expect(AgentSecrets.all(config).contains("bus-passphrase-3"))
        let registry = AgentSecrets.registry(config)
        var masked: [UInt8] = []
        Array("tls key bus-passphrase-3 refused".utf8).withUnsafeBytes { bytes in registry.mask(bytes) { masked += $0 } }
        #expect(String(decoding: masked, as: UTF8.self) == "tls key *** refused")
    }

    @Test func badValuesAreRefusedWithTheirPath() {
        let text = AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""ringLog""#,
            with: #""console": {"input": "stdin", "idleLogoutSeconds": -1, "colour": 1}, "logging": {"historyLines": 0, "level": "loud"}, "ringLog""#)
        let e = AgentConfigurationTests.errors(text)
        #expect(e.contains { $0.contains("console.idleLogoutSeconds") }, "\(e)")
        #expect(e.contains { $0.contains("console.colour") }, "\(e)")
        #expect(e.contains { $0.contains("logging.historyLines") }, "\(e)")
        #expect(e.contains { $0.contains("logging.level") }, "\(e)")
        let tls = AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""port": 1883,"#, with: #""tls": {"caFile": "/nonexistent/ca.pem", "keyPassword": "p"},"#)
        let t = AgentConfigurationTests.errors(tls)
        #expect(t.contains { $0.contains("cloud.tls.keyPassword") && $0.contains("only with keyFile") }, "\(t)")
    }
}
