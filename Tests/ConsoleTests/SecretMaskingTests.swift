import CShim
import Console
import EdgeCore
import Logging
import Testing

/// Registered secrets never leave the process: not in log lines (also when cut off at the end of
/// a long line), not in the log history, not in console output.
@Suite struct SecretMaskingTests {
    static func masked(_ text: String, _ secrets: [String], truncated: Bool = false) -> String {
        let registry = SecretRegistry()
        for s in secrets { #expect(registry.register(s)) }
        var out: [UInt8] = []
        Array(text.utf8).withUnsafeBytes { registry.mask($0, truncated: truncated) { out += Array($0) } }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func everyOccurrenceIsReplaced() {
        #expect(Self.masked("key=hunter2 again hunter2", ["hunter2"]) == "key=*** again ***")
        #expect(Self.masked("hunter2", ["hunter2"]) == "***")
        #expect(Self.masked("no secret here", ["hunter2"]) == "no secret here")
        #expect(Self.masked("a:s1,b:s2longer", ["s1", "s2longer"]) == "a:***,b:***")
    }

    @Test func aSecretCutOffAtTheEndOfATruncatedTextIsMaskedToo() {
        #expect(Self.masked("secret=hunt", ["hunter2"], truncated: true) == "secret=***")
        #expect(Self.masked("secret=hunt", ["hunter2"], truncated: false) == "secret=hunt")
        #expect(Self.masked("secret=hu", ["hunter2"], truncated: true) == "secret=hu")   // < 3 bytes
    }

    @Test func registryRefusesWhenFullAndForgetsOnRemoveAll() {
        let r = SecretRegistry(capacity: 2, byteCapacity: 64)
        #expect(r.register("one-secret"))
        #expect(r.register("two-secret"))
        #expect(r.register("one-secret"))      // duplicate: already there
        #expect(!r.register("three-secret"))
        #expect(r.count == 2)
        r.removeAll()
        #expect(r.count == 0)
        #expect(r.register("three-secret"))
    }

    @Test func loggerMasksSecretsInTheLineAndTheHistory() {
        var fds: [Int32] = [0, 0]
        _ = edge_pipe_nonblocking(&fds)
        defer { close(fds[0]); close(fds[1]) }
        let clock = ManualClock()
        let logger = Logger.make(threshold: .info, destination: .descriptor(fds[1]), clock: clock)
        logger.secrets.register("dEv1ceS3cret")
        logger.info("enos", "login with secret dEv1ceS3cret failed")
        logger.log(.warning, "enos") { w in
            w.write("signing with ")
            w.write("dEv1ceS3cret")
            w.write(" code ")
            w.write(401)
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        let text = String(decoding: buffer[0..<max(0, n)], as: UTF8.self)
        #expect(text == "2026-01-01T00:00:00.000Z info    enos: login with secret *** failed\n"
                      + "2026-01-01T00:00:00.000Z warning enos: signing with *** code 401\n")
        var history: [String] = []
        logger.history?.forEachLine { history.append(String(decoding: $0, as: UTF8.self)) }
        #expect(history.count == 2)
        #expect(history.allSatisfy { !$0.contains("dEv1ceS3cret") && $0.contains("***") })
    }

    @Test func consoleOutputIsMasked() {
        let secrets = SecretRegistry()
        secrets.register("s3cr3t-device-key")
        let c = PipeConsole(secrets: secrets)
        _ = c.screen()
        let shown = c.type("config\r")
        #expect(shown.contains("cloud.deviceSecret: ***\n"))
        #expect(!shown.contains("s3cr3t"))
    }

    @Test func theConsolePasswordIsRegisteredAsASecret() {
        let secrets = SecretRegistry()
        let c = PipeConsole(options: ConsoleOptions(password: "pw-98765"), secrets: secrets)
        #expect(secrets.count == 1)
        _ = c.type("pw-98765\r")
        c.backend.configText = "console.password: pw-98765\n"
        #expect(c.type("config\r").contains("console.password: ***\n"))
    }
}
