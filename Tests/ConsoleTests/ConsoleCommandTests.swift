import CShim
import Console
import EdgeCore
import Testing

/// The command table as the technician meets it: known commands reach the backend, unknown ones
/// and wrong arguments get a clear answer, and the prompt always comes back.
@Suite struct ConsoleCommandTests {
    @Test func bannerAndPromptAreShownFirst() {
        let c = PipeConsole()
        #expect(c.screen() == "edge-agent console (type 'help')\nedge> ")
    }

    @Test func statusRunsTheBackendAndShowsThePromptAgain() {
        let c = PipeConsole()
        _ = c.screen()
        let shown = c.type("status\r")
        #expect(shown == "status\nuplink: connected\nring log: 1234 records, 0 dropped\nedge> ")
    }

    @Test func terminalOutputUsesCRLF() {
        let c = PipeConsole()
        _ = c.rawScreen()
        c.typeBytes(Array("status\r".utf8))
        let raw = c.rawScreen()
        // Every LF is preceded by CR; no bare LF.
        for (i, b) in raw.enumerated() where b == 0x0A {
            #expect(i > 0 && raw[i - 1] == 0x0D)
        }
    }

    @Test func unknownCommandSaysSo() {
        let c = PipeConsole()
        _ = c.screen()
        #expect(c.type("frobnicate now\r") == "frobnicate now\nunknown command 'frobnicate' (type 'help' for the list)\nedge> ")
        #expect(c.session.unknownCommands == 1)
    }

    @Test func wrongArgumentCountPrintsTheUsageLine() {
        let c = PipeConsole()
        _ = c.screen()
        #expect(c.type("status now\r").contains("usage: status\n"))
        #expect(c.type("write meter1\r").contains("usage: write DEVICE POINT VALUE"))
        #expect(c.type("ota\r").contains("usage: ota status | ota install URL | ota mark-good"))
        #expect(c.type("ota reinstall x\r").contains("usage: ota status"))
        #expect(c.backend.calls.isEmpty)
    }

    @Test func backendAskingForUsageGetsIt() {
        let c = PipeConsole()
        _ = c.screen()
        let shown = c.type("write meter1 limit abc\r")
        #expect(shown.contains("not a number\nusage: write DEVICE POINT VALUE"))
        #expect(c.backend.calls == ["write meter1 limit abc"])
    }

    @Test func argumentsReachTheBackend() {
        let c = PipeConsole()
        _ = c.screen()
        _ = c.type("points meter1\r")
        _ = c.type("points\r")
        _ = c.type("ota install http://10.0.0.1/fw.img\r")
        _ = c.type("write meter1 \"power limit\" 42.5\r")
        #expect(c.backend.calls == ["points meter1", "points -", "ota install http://10.0.0.1/fw.img",
                                    "write meter1 power limit 42.5"])
    }

    @Test func unimplementedCommandsSayNotAvailable() {
        let c = PipeConsole()
        _ = c.screen()
        #expect(c.type("mqtt\r") == "mqtt\nnot available in this build\nedge> ")
    }

    @Test func helpListsEveryCommandAndExplainsOne() {
        let c = PipeConsole()
        _ = c.screen()
        let all = c.type("help\r")
        for command in ConsoleCommand.allCases {
            #expect(all.contains("  \(command.name)"))
        }
        #expect(c.type("help read\r").contains("usage: read DEVICE POINT"))
        #expect(c.type("help nothing\r").contains("no such command"))
    }

    @Test func emptyLinesAndUnterminatedQuotesJustPromptAgain() {
        let c = PipeConsole()
        _ = c.screen()
        #expect(c.type("\r") == "\nedge> ")
        #expect(c.type("   \r") == "   \nedge> ")
        #expect(c.type("write a \"b c\r").contains("missing closing quote"))
    }

    @Test func pendingCommandHoldsThePromptUntilCompleted() {
        let c = PipeConsole()
        _ = c.screen()
        c.backend.pendingReads = true
        #expect(c.type("read meter1 voltage\r") == "read meter1 voltage\nreading...\n")
        #expect(c.session.state == .pending)
        #expect(c.type("status\r") == "")   // ignored while pending
        let done = c.session.completePending { out in out.line("voltage = 230.5 V") }
        #expect(done)
        #expect(c.screen() == "voltage = 230.5 V\nedge> ")
    }

    @Test func ctrlCAbandonsAPendingCommand() {
        let c = PipeConsole()
        _ = c.screen()
        c.backend.pendingReads = true
        _ = c.type("read meter1 voltage\r")
        #expect(c.type("\u{03}") == "^C\nedge> ")
        #expect(c.backend.cancelled == 1)
        #expect(!c.session.completePending { out in out.line("late") })
        #expect(c.screen() == "")
    }

    @Test func noticeRedrawsThePromptAndTypedText() {
        let c = PipeConsole()
        _ = c.screen()
        _ = c.type("sta")
        c.session.notice { out in out.write("ota: 40% downloaded") }
        let raw = String(decoding: c.rawScreen(), as: UTF8.self)
        #expect(raw == "\r\u{1B}[Kota: 40% downloaded\r\nedge> sta")
        #expect(c.type("tus\r").contains("uplink: connected"))
    }

    @Test func noticeAfterACommandDoesNotRedrawTheFinishedLine() {
        let c = PipeConsole()
        _ = c.type("status\r")
        c.session.notice { out in out.write("alarm") }
        #expect(String(decoding: c.rawScreen(), as: UTF8.self) == "\r\u{1B}[Kalarm\r\nedge> ")
    }

    @Test func endOfInputClosesTheSession() {
        let c = PipeConsole(terminal: false)
        _ = c.screen()
        _ = close(c.typeEnd)
        c.pump()
        #expect(c.session.state == .closed)
        #expect(c.session.pollRequest().input.descriptor == -1)
    }
}
