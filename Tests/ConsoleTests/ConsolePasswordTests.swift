import Console
import EdgeCore
import Testing

/// The password flow: nothing runs before the password, typing is not echoed, wrong attempts
/// lock the console for a time of the injected clock, idle sessions and `logout` lock it again.
@Suite struct ConsolePasswordTests {
    static func options(attempts: Int = 3) -> ConsoleOptions {
        ConsoleOptions(password: "opensesame", maxAttempts: attempts, lockoutMilliseconds: 30_000,
                       idleLogoutMilliseconds: 60_000)
    }

    @Test func promptsForThePasswordAndDoesNotEchoIt() {
        let c = PipeConsole(options: Self.options())
        #expect(c.screen() == "edge-agent console (type 'help')\nPassword: ")
        let shown = c.type("opensesame\r")
        #expect(!shown.contains("opensesame"))
        #expect(shown == "\nedge> ")
        #expect(c.session.state == .ready)
    }

    @Test func commandsBeforeTheRightPasswordDoNotRun() {
        let c = PipeConsole(options: Self.options())
        _ = c.screen()
        let shown = c.type("status\r")
        #expect(shown == "\nwrong password\nPassword: ")
        #expect(!shown.contains("uplink"))
        #expect(c.session.failedLogins == 1)
    }

    @Test func backspaceWorksWhileTypingThePassword() {
        let c = PipeConsole(options: Self.options())
        _ = c.screen()
        #expect(c.type("opensesamX\u{7F}e\r") == "\nedge> ")
    }

    @Test func tooManyWrongPasswordsLockTheConsoleUntilTheDelayPasses() {
        let c = PipeConsole(options: Self.options(attempts: 3))
        _ = c.screen()
        _ = c.type("a\r")
        _ = c.type("b\r")
        let third = c.type("c\r")
        #expect(third.contains("wrong password; console locked for 30.0s"))
        #expect(c.session.state == .lockedOut)
        #expect(c.session.lockouts == 1)
        // Even the right password is thrown away while locked.
        #expect(c.type("opensesame\r") == "")
        #expect(c.session.state == .lockedOut)
        #expect(c.session.pollRequest().timeoutMilliseconds == 30_000)
        c.clock.advance(milliseconds: 29_999)
        c.pump()
        #expect(c.session.state == .lockedOut)
        c.clock.advance(milliseconds: 1)
        c.pump()
        #expect(c.session.state == .password)
        #expect(c.screen() == "Password: ")
        #expect(c.type("opensesame\r") == "\nedge> ")
    }

    @Test func idleSessionIsLoggedOut() {
        let c = PipeConsole(options: Self.options())
        _ = c.screen()
        _ = c.type("opensesame\r")
        #expect(c.session.pollRequest().timeoutMilliseconds == 60_000)
        c.clock.advance(milliseconds: 60_000)
        c.pump()
        #expect(c.session.state == .password)
        #expect(c.screen() == "\nlogged out after being idle\nPassword: ")
    }

    @Test func logoutAsksForThePasswordAgain() {
        let c = PipeConsole(options: Self.options())
        _ = c.screen()
        _ = c.type("opensesame\r")
        #expect(c.type("logout\r") == "logout\nbye\nPassword: ")
        #expect(c.session.state == .password)
    }

    @Test func constantTimeCompareAgreesWithEquality() {
        let cases: [(String, String)] = [("", ""), ("a", ""), ("", "a"), ("abc", "abc"), ("abc", "abd"),
                                         ("abc", "abcd"), ("abcd", "abc"), ("ü", "u"), ("x\0", "x")]
        for (a, b) in cases {
            let equal = Array(a.utf8).withUnsafeBytes { x in
                Array(b.utf8).withUnsafeBytes { y in ConsolePassword.constantTimeEqual(x, y) }
            }
            #expect(equal == (Array(a.utf8) == Array(b.utf8)), "\(a) vs \(b)")
        }
    }

    @Test func noticesAreNotShownBeforeLogin() {
        let c = PipeConsole(options: Self.options())
        _ = c.screen()
        c.session.notice { $0.write("ota: 50%") }
        #expect(c.screen() == "")
    }
}
