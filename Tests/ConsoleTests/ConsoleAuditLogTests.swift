import Console
import EdgeCore
import Logging
import Testing

/// The console records logins and the commands that change something in the log.
@Suite struct ConsoleAuditLogTests {
    @Test func loginsLockoutsAndWritesAreLogged() {
        let logger = Logger.make(threshold: .info, destination: .none, clock: ManualClock())
        let c = PipeConsole(options: ConsoleOptions(password: "pw", maxAttempts: 2), logger: logger)
        _ = c.screen()
        _ = c.type("x\r")
        _ = c.type("pw\r")
        _ = c.type("status\r")
        _ = c.type("write meter1 limit 50\r")
        var lines: [String] = []
        logger.history?.forEachLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        let messages = lines.map { $0.split(separator: " ").dropFirst(2).joined(separator: " ") }
        #expect(messages == ["console: wrong password", "console: logged in", "console: command: write meter1 limit 50"])
    }
}
