import CShim
import Console
import EdgeCore
import Logging
import Testing
import TestSupport

/// Keystrokes and commands allocate nothing once the session is set up.
@Suite struct ConsoleAllocationTests {
    static func typeAndCount(_ c: PipeConsole, _ text: String) -> AllocationCount {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(c.typeEnd, $0.baseAddress, $0.count) }
        let counted = AllocationCounter.count {
            c.session.step(timeoutMilliseconds: 0, backend: &c.backend)
        }
        _ = c.screen()
        return counted
    }

    @Test func keystrokesAndAStatusCommandAllocateNothing() {
        let c = PipeConsole()
        c.backend.record = false
        _ = c.screen()
        // Warm up: every path once.
        _ = Self.typeAndCount(c, "stx\u{7F}\u{1B}[Aatus\r")
        _ = Self.typeAndCount(c, "nothing\rpoints meter1\rhelp\r\u{15}\u{03}")

        let keys = Self.typeAndCount(c, "sta\u{7F}\u{7F}\u{1B}[D\u{1B}[C\u{15}abc\u{03}")
        #expect(keys.allocations == 0, "\(keys)")
        let status = Self.typeAndCount(c, "status\r")
        #expect(status.allocations == 0, "\(status)")
        let more = Self.typeAndCount(c, "points meter1\rbogus\rhelp status\rstatus now\r")
        #expect(more.allocations == 0, "\(more)")
    }

    @Test func maskedOutputAndLoggingAllocateNothing() {
        let secrets = SecretRegistry()
        secrets.register("s3cr3t-device-key")
        let c = PipeConsole(secrets: secrets)
        c.backend.record = false
        _ = c.screen()
        _ = Self.typeAndCount(c, "config\r")
        let config = Self.typeAndCount(c, "config\r")
        #expect(config.allocations == 0, "\(config)")

        let logger = Logger.make(destination: .none, clock: ManualClock(), secrets: secrets)
        logger.log(.info, "bus") { $0.write("warm") }
        let logged = AllocationCounter.count {
            for i in 0..<100 {
                logger.log(.info, "bus") { w in
                    w.write("rtu0 poll ")
                    w.write(i)
                    w.write(" s3cr3t-device-key ")
                    w.write(230.5, fractionDigits: 1)
                }
                logger.log(.warning, "mqtt", "a fixed message that is longer than fifteen bytes")
            }
        }
        #expect(logged.allocations == 0, "\(logged)")
    }
}
