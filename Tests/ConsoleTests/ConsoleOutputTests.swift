import CShim
import Console
import EdgeCore
import Testing

/// A terminal that does not read never blocks the session: output that does not fit is dropped
/// and counted, and once the terminal reads again the drop is reported on it.
@Suite struct ConsoleOutputTests {
    @Test func unreadTerminalDropsAndCountsInsteadOfBlocking() {
        let c = PipeConsole(options: ConsoleOptions(outputCapacity: 4096))
        var typed = 0
        // The pipe holds 64 KB, the ring 4 KB; `help` prints about 1 KB. This would hang if any
        // write blocked.
        while c.session.droppedOutputBytes == 0 && typed < 500 {
            _ = Array("help\r".utf8).withUnsafeBytes { write(c.typeEnd, $0.baseAddress, $0.count) }
            c.pump()
            typed += 1
        }
        #expect(c.session.droppedOutputBytes > 0)
        #expect(c.session.queuedOutputBytes <= 4096)
        #expect(c.session.pollRequest().output.events & Int16(POLLOUT) != 0)
        // The technician's terminal reads again: the backlog drains and the drop is reported.
        var seen = ""
        for _ in 0..<100 {
            seen += c.screen()
            c.pump()
            if seen.contains("bytes of output dropped]") { break }
        }
        #expect(seen.contains("[console: "))
        #expect(seen.contains("bytes of output dropped]"))
        #expect(c.session.queuedOutputBytes == 0)
        #expect(c.type("status\r").contains("uplink: connected"))
    }

    @Test func longCommandOutputIsCutAndMarked() {
        var backend = FakeBackend()
        backend.configText = """
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
        0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
        """
        let c = PipeConsole(options: ConsoleOptions(commandOutputCapacity: 256))
        c.backend = backend
        _ = c.screen()
        let shown = c.type("config\r")
        #expect(shown.hasSuffix("\n[output truncated]\nedge> "))
    }

    @Test func ringKeepsCRLFTogetherWhenFull() {
        var ring = ConsoleOutputBuffer(capacity: 64)
        let text = Array(String(repeating: "abc\n", count: 40).utf8)
        text.withUnsafeBytes { ring.append($0, crlf: true) }
        let queued = ring.count
        let dropped = ring.droppedBytes
        #expect(queued <= 64)
        #expect(dropped > 0)
        var fds: [Int32] = [0, 0]
        _ = edge_pipe_nonblocking(&fds)
        defer { close(fds[0]); close(fds[1]) }
        let drained = ring.drain(to: fds[1])
        #expect(drained)
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
        let out = Array(buffer[0..<n])
        for (i, b) in out.enumerated() where b == 0x0D { #expect(i + 1 < out.count && out[i + 1] == 0x0A) }
        for (i, b) in out.enumerated() where b == 0x0A { #expect(i > 0 && out[i - 1] == 0x0D) }
    }

    @Test func brokenTerminalDiscardsQueuedOutput() {
        var ring = ConsoleOutputBuffer(capacity: 64)
        Array("hello".utf8).withUnsafeBytes { ring.append($0, crlf: false) }
        var fds: [Int32] = [0, 0]
        _ = edge_pipe_nonblocking(&fds)
        close(fds[0])
        defer { close(fds[1]) }
        _ = edge_signal_ignore(SIGPIPE)
        let drained = ring.drain(to: fds[1])
        let empty = ring.isEmpty
        let lastError = ring.lastError
        let dropped = ring.droppedBytes
        #expect(!drained)
        #expect(empty)
        #expect(lastError == Errno(rawValue: EPIPE))
        #expect(dropped == 5)
    }
}
