import CShim
import Console
import EdgeCore
import Testing

/// The console on a real pseudo-terminal, as on the board's serial console: the session opens
/// the slave side in raw mode, the test types on the master side like a technician's terminal.
@Suite struct ConsolePtyTests {
    final class Pty {
        let master: Int32
        let slavePath: String

        init() throws {
            var name = [CChar](repeating: 0, count: 128)
            master = edge_openpty_master(&name, name.count)
            try #require(master >= 0)
            slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        deinit { close(master) }

        func type(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }

        /// Reads what the console wrote, waiting up to `ms` for the first byte and briefly for more.
        func read(ms: Int32 = 1000) -> [UInt8] {
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            var wait = ms
            while edge_poll_in(master, wait) > 0 {
                let n = chunk.withUnsafeMutableBytes { CShim.read(master, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                all += chunk[0..<n]
                wait = 50
            }
            return all
        }
    }

    static func run(_ session: inout ConsoleSession<ManualClock>, _ backend: inout FakeBackend, rounds: Int = 20) {
        for _ in 0..<rounds { session.step(timeoutMilliseconds: 10, backend: &backend) }
    }

    @Test func typingWithBackspaceAndAnArrowKeyRunsTheCommand() throws {
        let pty = try Pty()
        let terminal = try ConsoleTerminal.openTTY(path: pty.slavePath, baud: 115_200)
        var session = ConsoleSession(terminal: terminal, options: ConsoleOptions(), clock: ManualClock())
        var backend = FakeBackend()
        Self.run(&session, &backend, rounds: 2)
        #expect(String(decoding: pty.read(), as: UTF8.self) == "edge-agent console (type 'help')\r\nedge> ")

        // "stx", backspace, an up-arrow (swallowed), "atus", Enter.
        pty.type(Array("stx".utf8) + [0x7F] + [0x1B, 0x5B, 0x41] + Array("atus\r".utf8))
        Self.run(&session, &backend)
        let shown = String(decoding: pty.read(), as: UTF8.self)
        #expect(shown == "stx\u{08} \u{08}atus\r\nuplink: connected\r\nring log: 1234 records, 0 dropped\r\nedge> ")
    }

    @Test func ctrlCIsAKeyNotASignalOnTheConsoleTTY() throws {
        let pty = try Pty()
        let terminal = try ConsoleTerminal.openTTY(path: pty.slavePath, baud: nil)
        var session = ConsoleSession(terminal: terminal, options: ConsoleOptions(), clock: ManualClock())
        var backend = FakeBackend()
        Self.run(&session, &backend, rounds: 2)
        _ = pty.read()
        pty.type(Array("reboot".utf8) + [0x03])
        Self.run(&session, &backend)
        #expect(String(decoding: pty.read(), as: UTF8.self) == "reboot^C\r\nedge> ")
    }

    @Test func passwordOnThePtyIsNotEchoed() throws {
        let pty = try Pty()
        let terminal = try ConsoleTerminal.openTTY(path: pty.slavePath, baud: 9600)
        var session = ConsoleSession(terminal: terminal, options: ConsoleOptions(password: "pw-1234"), clock: ManualClock())
        var backend = FakeBackend()
        Self.run(&session, &backend, rounds: 2)
        #expect(String(decoding: pty.read(), as: UTF8.self).hasSuffix("Password: "))
        pty.type(Array("pw-1234\r".utf8))
        Self.run(&session, &backend)
        #expect(String(decoding: pty.read(), as: UTF8.self) == "\r\nedge> ")
    }

    @Test func openingAMissingTTYSaysWhat() {
        #expect(throws: ConsoleError.self) {
            _ = try ConsoleTerminal.openTTY(path: "/nonexistent/ttyS9", baud: nil)
        }
        do {
            _ = try ConsoleTerminal.openTTY(path: "/nonexistent/ttyS9", baud: nil)
        } catch {
            #expect(error.operation == .openTerminal)
            #expect(error.message.hasPrefix("opening the console terminal: "))
        }
    }
}
