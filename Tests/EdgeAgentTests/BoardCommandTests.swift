import Foundation
import Testing

/// `edge-agent board check` and `board fw-env`, run as the built binary.
@Suite struct BoardCommandTests {
    static var boardRoot: URL { AgentBinaryTests.packageRoot.appendingPathComponent("Board") }

    @Test func goodBoardFilesPrintOkAndExit0() throws {
        let files = ["qemu-aarch64", "cm4-gateway"].map { Self.boardRoot.appendingPathComponent($0).appendingPathComponent("board.json").path }
        let (status, output) = try AgentBinaryTests.run(["board", "check"] + files)
        #expect(status == 0, "\(output)")
        #expect(output == files.map { "ok \($0)\n" }.joined())
    }

    @Test func aBadBoardFilePrintsEveryErrorAndExits1() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("board-check-\(getpid())")
            .appendingPathComponent("my-board")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir.deletingLastPathComponent()) }
        let good = try String(contentsOf: Self.boardRoot.appendingPathComponent("qemu-armv7/board.json"), encoding: .utf8)
        let bad = good.replacingOccurrences(of: "\"size\": \"4MiB\"", with: "\"size\": \"4MiB\", \"sise\": 1")
        #expect(bad != good)
        let file = dir.appendingPathComponent("board.json").path
        try bad.write(toFile: file, atomically: true, encoding: .utf8)
        let goodFile = Self.boardRoot.appendingPathComponent("qemu-armv7/board.json").path
        let (status, output) = try AgentBinaryTests.run(["board", "check", file, goodFile])
        #expect(status == 1)
        #expect(output.contains(file + ": name (line 2, column 11): name \"qemu-armv7\" must equal the board's folder name \"my-board\"\n"), "\(output)")
        #expect(output.contains(file + ": ringLog.sise (line 9, column 81): unknown key \"sise\" (did you mean \"size\"?); allowed keys: device, kind, offset, size, eraseSize\n"), "\(output)")
        #expect(output.contains("ok " + goodFile + "\n"))
        #expect(!output.contains("ok " + file))
    }

    @Test func usageErrorsExit2() throws {
        #expect(try AgentBinaryTests.run(["board"]).status == 2)
        #expect(try AgentBinaryTests.run(["board", "check"]).status == 2)
        let (status, output) = try AgentBinaryTests.run(["board", "frobnicate"])
        #expect(status == 2)
        #expect(output.contains("unknown subcommand 'frobnicate'"))
    }

    @Test func fwEnvPrintsTheFwEnvConfigWithTheStateDirectory() throws {
        let file = Self.boardRoot.appendingPathComponent("qemu-aarch64/board.json").path
        let (status, output) = try AgentBinaryTests.run(["board", "fw-env", file, "--state", "/run/x"])
        #expect(status == 0, "\(output)")
        #expect(output == "# device offset size sector-size\n/run/x/uboot-env.img 0x0 0x4000 0x4000\n/run/x/uboot-env.img 0x4000 0x4000 0x4000\n")
    }
}
