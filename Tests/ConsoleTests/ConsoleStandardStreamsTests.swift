import CShim
import Console
import EdgeCore
import Testing

/// The stdin/stdout mode: the streams are reopened non-blocking without touching the originals;
/// a terminal goes raw but keeps Ctrl-C as SIGINT and gets its settings back; a pipe is not echoed.
@Suite struct ConsoleStandardStreamsTests {
    @Test func terminalStdinIsRawWithSignalsAndRestoredAfterwards() throws {
        var name = [CChar](repeating: 0, count: 128)
        let master = edge_openpty_master(&name, name.count)
        try #require(master >= 0)
        defer { close(master) }
        let slave = edge_open(name, O_RDWR | O_NOCTTY, 0)
        try #require(slave >= 0)
        defer { close(slave) }
        var before = termios()
        _ = tcgetattr(slave, &before)
        #expect(before.c_lflag & tcflag_t(ICANON) != 0)

        do {
            let terminal = try ConsoleTerminal.standardStreams(input: slave, output: slave)
            #expect(terminal.isTerminal && terminal.echoes)
            var during = termios()
            _ = tcgetattr(slave, &during)
            #expect(during.c_lflag & tcflag_t(ICANON) == 0)
            #expect(during.c_lflag & tcflag_t(ECHO) == 0)
            #expect(during.c_lflag & tcflag_t(ISIG) != 0)
            // The original descriptor stays blocking: only the reopened one is non-blocking.
            #expect(edge_fcntl_int(slave, F_GETFL, 0) & O_NONBLOCK == 0)
            #expect(edge_fcntl_int(terminal.input, F_GETFL, 0) & O_NONBLOCK != 0)

            var session = ConsoleSession(terminal: terminal, options: ConsoleOptions(), clock: ManualClock())
            var backend = FakeBackend()
            _ = "help\r".utf8.withContiguousStorageIfAvailable { write(master, $0.baseAddress, $0.count) }
            for _ in 0..<20 { session.step(timeoutMilliseconds: 10, backend: &backend) }
            var chunk = [UInt8](repeating: 0, count: 8192)
            var all: [UInt8] = []
            while edge_poll_in(master, 200) > 0 {
                let n = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                all += chunk[0..<n]
            }
            let shown = String(decoding: all, as: UTF8.self)
            #expect(shown.contains("help\r\n"))
            #expect(shown.contains("commands:"))
        }
        var after = termios()
        _ = tcgetattr(slave, &after)
        #expect(after.c_lflag == before.c_lflag)
        #expect(after.c_oflag == before.c_oflag)
    }

    @Test func pipedStdinIsNotEchoed() throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        _ = edge_pipe_nonblocking(&input)
        _ = edge_pipe_nonblocking(&output)
        defer { for fd in input + output { close(fd) } }
        let terminal = try ConsoleTerminal.standardStreams(input: input[0], output: output[1])
        #expect(!terminal.isTerminal && !terminal.echoes)
        var session = ConsoleSession(terminal: terminal, options: ConsoleOptions(prompt: "> "), clock: ManualClock())
        var backend = FakeBackend()
        _ = "status\n".utf8.withContiguousStorageIfAvailable { write(input[1], $0.baseAddress, $0.count) }
        session.step(timeoutMilliseconds: 100, backend: &backend)
        session.flush()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = chunk.withUnsafeMutableBytes { read(output[0], $0.baseAddress, $0.count) }
        #expect(String(decoding: chunk[0..<max(0, n)], as: UTF8.self)
                == "edge-agent console (type 'help')\n> uplink: connected\nring log: 1234 records, 0 dropped\n> ")
    }
}
