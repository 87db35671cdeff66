import CShim
import EdgeCore
import Logging
import Logging
import Testing

/// Log lines: one per record with time, severity and subsystem; the threshold filters before
/// composing; long records are cut; the history ring keeps the last lines for the console.
@Suite struct LoggerTests {
    final class Sink {
        let fds: [Int32]
        init() {
            var f: [Int32] = [0, 0]
            _ = edge_pipe_nonblocking(&f)
            fds = f
        }
        deinit { close(fds[0]); close(fds[1]) }
        func text() -> String {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            return String(decoding: buffer[0..<max(0, n)], as: UTF8.self)
        }
    }

    @Test func oneLinePerRecordWithTimeSeveritySubsystem() {
        let sink = Sink()
        let clock = ManualClock()
        clock.advance(milliseconds: 3_723_456)   // 01:02:03.456
        let logger = Logger.make(threshold: .debug, destination: .descriptor(sink.fds[1]), clock: clock)
        logger.error("mqtt", "connection refused")
        logger.debug("bus", "line1\nline2\ttab\u{01}")
        #expect(sink.text() == "2026-01-01T01:02:03.456Z error   mqtt: connection refused\n"
                             + "2026-01-01T01:02:03.456Z debug   bus: line1 line2 tab?\n")
    }

    @Test func recordsBelowTheThresholdAreNotEvenComposed() {
        let sink = Sink()
        let logger = Logger.make(threshold: .warning, destination: .descriptor(sink.fds[1]), clock: ManualClock())
        var composed = false
        logger.log(.info, "x") { _ in composed = true }
        logger.log(.debug, "x", "nothing")
        #expect(!composed)
        #expect(sink.text() == "")
        logger.threshold = .debug
        logger.log(.debug, "x", "now")
        #expect(sink.text().hasSuffix("x: now\n"))
        #expect(logger.written[LogSeverity.debug.rawValue] == 1)
    }

    @Test func longRecordsAreCutAndMarked() {
        let sink = Sink()
        let logger = Logger.make(destination: .descriptor(sink.fds[1]), clock: ManualClock(), lineCapacity: 128)
        logger.info("bus", String(repeating: "x", count: 500))
        let text = sink.text()
        #expect(text.hasSuffix("x…\n"))
        #expect(text.utf8.count <= 128 + 4)
        #expect(logger.truncated == 1)
    }

    @Test func historyKeepsTheLastLinesOldestFirst() {
        let history = LogHistory(lineCapacity: 3, lineLength: 80)
        let logger = Logger.make(destination: .none, clock: ManualClock(), history: history)
        for i in 1...5 { logger.info("t", "record \(i)") }
        var lines: [String] = []
        history.forEachLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines.map { String($0.suffix(8)) } == ["record 3", "record 4", "record 5"])
        var last: [String] = []
        history.forEachLine(last: 1) { last.append(String(decoding: $0, as: UTF8.self)) }
        #expect(last.count == 1 && last[0].hasSuffix("record 5"))
        #expect(history.totalAppended == 5)
    }

    @Test func consoleLogCommandShowsTheHistory() {
        let history = LogHistory(lineCapacity: 8, lineLength: 120)
        let logger = Logger.make(destination: .none, clock: ManualClock(), history: history)
        logger.warning("mqtt", "broker unreachable")
        logger.info("bus", "rtu0 online")
        let c = PipeConsole(history: history)
        _ = c.screen()
        let all = c.type("log\r")
        #expect(all.contains("warning mqtt: broker unreachable\n"))
        #expect(all.contains("info    bus: rtu0 online\n"))
        let one = c.type("log 1\r")
        #expect(!one.contains("broker") && one.contains("rtu0 online"))
        #expect(c.type("log x\r").contains("usage: log [LINES]"))
    }

    @Test func syslogDestinationWritesWithoutCrashing() {
        let logger = Logger.make(destination: .syslog(identity: "edge-agent-test"), clock: ManualClock())
        logger.info("test", "syslog works")
        #expect(logger.written[LogSeverity.info.rawValue] == 1)
    }
}
