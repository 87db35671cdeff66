import Foundation
import Testing
import TestSupport

/// Runs the host `edge-agent` binary as a user would. EDGE_AGENT_BINARY names it (the Makefile
/// sets it); otherwise the debug build's path is used.
@Suite struct AgentBinaryTests {
    static var packageRoot: URL { ChildProcess.packageRoot }

    static var binary: String { ChildProcess.agentBinary }

    static func run(_ args: [String]) throws -> (status: Int32, output: String) {
        try ChildProcess.run(binary, args)
    }

    @Test func versionNamesVersionRevisionBoardAndBuild() throws {
        let (status, output) = try Self.run(["version"])
        #expect(status == 0)
        let version = try String(contentsOf: Self.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(output.contains("edge-agent \(version)\n"), "VERSION file and HostBuildInfo disagree: \(output)")
        #expect(output.contains("revision: "))
        #expect(output.contains("board: host"))
        #expect(output.contains("build: host-"))
        #expect(output.contains("mbed TLS 2."))
        #expect(output.contains("libmodbus 3."))
    }

    @Test func selftestPassesEveryCheck() throws {
        let (status, output) = try Self.run(["selftest"])
        #expect(status == 0, "\(output)")
        for check in ["crc32", "crc16-modbus", "sha256", "ecdsa-p256-verify", "modbus-rtu-pty", "clock"] {
            #expect(output.contains("ok   \(check)\n"), "\(check) missing in: \(output)")
        }
        #expect(output.hasSuffix("selftest: ok\n"))
    }

    @Test func helpListsTheCommands() throws {
        let (status, output) = try Self.run(["--help"])
        #expect(status == 0)
        #expect(output.contains("selftest"))
        #expect(output.contains("version"))
    }

    @Test func unknownCommandIsAClearErrorWithStatus2() throws {
        let (status, output) = try Self.run(["frobnicate"])
        #expect(status == 2)
        #expect(output.contains("unknown command 'frobnicate'"))
    }
}
