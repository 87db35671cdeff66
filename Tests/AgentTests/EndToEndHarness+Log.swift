import Foundation

extension EndToEndHarness {
    /// The agent's log so far (every process started by this harness, appended).
    func agentLogText() -> String {
        String(decoding: (try? Data(contentsOf: agentLog)) ?? Data(), as: UTF8.self)
    }

    /// How many times `text` stands in the agent's log so far.
    func logCount(_ text: String) -> Int {
        agentLogText().components(separatedBy: text).count - 1
    }

    /// Waits until `condition` holds for the agent's log (or the timeout).
    func waitForLog(_ timeout: Double, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(agentLogText()) { return true }
            usleep(50_000)
        }
        return condition(agentLogText())
    }

    // MARK: Waiting for events

    /// A wait that ran out: what it waited for, how long, and the end of the agent's log.
    struct WaitTimedOut: Error, CustomStringConvertible {
        var what: String
        var seconds: Double
        var logTail: String
        var description: String { "timed out after \(seconds) s waiting for \(what); the agent's log ends:\n\(logTail)" }
    }

    /// Polls `probe` every 50 ms until it gives a value, and returns it; after `timeout` seconds
    /// throws `WaitTimedOut` naming `what` with the tail of the agent's log.
    func waitUntil<T>(_ what: String, timeout: Double = 20, _ probe: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let value = try probe() { return value }
            guard Date() < deadline else {
                throw WaitTimedOut(what: what, seconds: timeout, logTail: String(agentLogText().suffix(2500)))
            }
            usleep(50_000)
        }
    }

    /// Waits until `condition` holds (see `waitUntil(_:timeout:_:)`); returns the test's clock
    /// (ms since 1970) at the moment it was seen to hold.
    @discardableResult
    func waitUntil(_ what: String, timeout: Double = 20, _ condition: () throws -> Bool) throws -> Int64 {
        try waitUntil(what, timeout: timeout) { try condition() ? Self.nowMs() : nil }
    }

    /// A place in the agent's log: `logSince(mark)` is what was written after it.
    func logMark() -> Int { agentLogText().utf8.count }

    /// The agent's log written after `mark`.
    func logSince(_ mark: Int) -> String {
        String(decoding: agentLogText().utf8.dropFirst(mark), as: UTF8.self)
    }

    /// Waits for the log written after `mark` to contain each of `lines`; returns the test's clock
    /// when it did.
    @discardableResult
    func waitForLog(after mark: Int, _ lines: [String], timeout: Double = 20) throws -> Int64 {
        try waitUntil("\(lines) in the agent's log", timeout: timeout) {
            let text = logSince(mark)
            return lines.allSatisfy { text.contains($0) }
        }
    }

    /// The newest "records synced while the uplink is down" line after `mark` (a debug line, on
    /// with `debugLogging`): the number of records not confirmed by the cloud it gives.
    func unconfirmedWhileDown(after mark: Int) -> Int? {
        let lines = logSince(mark).split(separator: "\n").filter { $0.contains("synced while the uplink is down") }
        guard let last = lines.last, let open = last.range(of: "(", options: .backwards) else { return nil }
        return Int(last[open.upperBound...].prefix { $0.isNumber })
    }

    /// Waits until the agent, with the uplink down, has synced records to the ring log after
    /// `mark`, with at least `unconfirmed` records not confirmed by the cloud; returns the test's
    /// clock when it saw it. Needs `debugLogging` in the configuration.
    @discardableResult
    func waitForSyncWhileDown(after mark: Int, unconfirmed: Int = 1, timeout: Double = 20) throws -> Int64 {
        try waitUntil("a ring-log sync with the uplink down and \(unconfirmed)+ records unconfirmed", timeout: timeout) {
            (unconfirmedWhileDown(after: mark) ?? 0) >= unconfirmed
        }
    }

    /// `writeConfig(extra:)` for debug logging (the ring log's syncs while the uplink is down).
    static let debugLogging = #", "logging": {"level": "debug"}"#
}
