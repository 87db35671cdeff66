import Agent
import EdgeCore
import Foundation
import Testing
import TestSupport
import TLS
@testable import Configuration

/// The console and logging sections of the agent's config, and the secrets registered from a
/// configuration: every device secret, the console password and the TLS key passphrase are
/// masked; bad values are refused with their path.
@Suite struct AgentSecretsTests {
    static func config(_ text: String) throws -> AgentConfiguration {
        try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
    }

    /// The minimal configuration with the given console and logging sections and `cloud.tls`
    /// files made here, parsed (the configuration reads the files at load), and the directory
    /// of the files: `ca.pem`, `c.pem` and `k.pem`, the key encrypted with the passphrase.
    static func withTLS(console: String, logging: String) throws -> (AgentConfiguration, CertificateDirectory) {
        let files = try CertificateDirectory(prefix: "agent-secrets")
        // PEM encryption (`openssl ec -aes256`), which mbedTLS reads; the key belongs to the certificate.
        let k = files.path("k.pem"), c = files.path("c.pem")
        try files.openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", k + ".plain")
        try files.openssl("ec", "-in", k + ".plain", "-aes256", "-passout", "pass:key-passphrase-7", "-out", k)
        try files.openssl("req", "-x509", "-key", k + ".plain", "-out", c, "-days", "2", "-subj", "/CN=secrets test")
        try FileManager.default.copyItem(atPath: c, toPath: files.path("ca.pem"))
        let tls = #""tls": {"caFile": "\#(files.path("ca.pem"))", "certFile": "\#(c)", "keyFile": "\#(k)", "keyPassword": "key-passphrase-7"},"#
        let text = AgentConfigurationTests.minimal
            .replacingOccurrences(of: #""port": 1883,"#, with: tls)
            .replacingOccurrences(of: #""ringLog""#, with: #""console": \#(console), "logging": \#(logging), "ringLog""#)
        return (try Self.config(text), files)
    }

    @Test func consoleAndLoggingSettingsAreRead() throws {
        let (config, _) = try Self.withTLS(console: #"{"input": "tty", "device": "/dev/ttyS9", "password": "pw-123", "idleLogoutSeconds": 30}"#,
                                           logging: #"{"level": "debug", "output": "syslog", "historyLines": 50}"#)
        #expect(config.console == ConsoleSettings(input: .tty(device: "/dev/ttyS9"), password: "pw-123", idleLogoutMilliseconds: 30_000))
        #expect(config.logging == LoggingSettings(level: .debug, output: .syslog, historyLines: 50))
        #expect(config.cloud.tls?.keyPassword == "key-passphrase-7")
        let defaults = try Self.config(AgentConfigurationTests.minimal)
        #expect(defaults.console == ConsoleSettings())
        #expect(defaults.logging == LoggingSettings(level: .info, output: .stderr, historyLines: 200))
    }

    @Test func everySecretOfTheConfigurationIsMasked() throws {
        let (config, _) = try Self.withTLS(console: #"{"input": "stdin", "password": "pw-123"}"#, logging: "{}")
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
        let (loaded, files) = try Self.withTLS(console: #"{"input": "stdin"}"#, logging: "{}")
        var config = loaded
        config.fieldBus.buses[0].iec104TLS = TLSFileSettings(caFile: files.path("ca.pem"), certificateFile: files.path("c.pem"),
                                                             keyFile: files.path("k.pem"),
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
