import CShim
import Foundation
import Testing
import TestSupport

/// The serial console of `edge-agent run` on a pseudo-terminal (as the board's console tty), with
/// the real parts behind it (pymodbus slave, mosquitto, the cloud simulator): a technician logs
/// in with the password, looks at status, devices, points, statistics, the MQTT link, the masked
/// configuration and the log, reads and writes a point on the slave, and types garbage; the
/// agent keeps polling and publishing throughout, and no secret reaches its log.
@Suite(.serialized) struct EndToEndConsoleTests {
    typealias H = EndToEndHarness

    static let password = "console-pass-42"
    static let gatewaySecret = "gwsecret"

    /// The master side of a pseudo-terminal: the agent opens the slave as its console tty.
    final class Terminal {
        let master: Int32
        let slavePath: String
        var screen = ""

        init() throws {
            var name = [CChar](repeating: 0, count: 128)
            master = edge_openpty_master(&name, name.count)
            try #require(master >= 0)
            slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        deinit { close(master) }

        func type(_ text: String) { send(Array(text.utf8)) }

        func send(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
                if n > 0 { offset += n } else { usleep(1000) }
            }
        }

        /// Everything shown from now until `text` appears (at most `timeout` s); nil if it did not.
        func waitFor(_ text: String, timeout: Double = 15) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                if let range = screen.range(of: text) {
                    let shown = String(screen[..<range.upperBound])
                    screen = String(screen[range.upperBound...])
                    return shown
                }
                guard Date() < deadline else { return nil }
                if edge_poll_in(master, 100) > 0 {
                    let n = chunk.withUnsafeMutableBytes { CShim.read(master, $0.baseAddress, $0.count) }
                    if n > 0 { screen += String(decoding: chunk[0..<n], as: UTF8.self) }
                }
            }
        }

        /// Reads output until the console has been quiet for half a second (at most `timeout` s)
        /// and returns it.
        @discardableResult
        func drain(timeout: Double = 10) -> String {
            let deadline = Date().addingTimeInterval(timeout)
            var chunk = [UInt8](repeating: 0, count: 4096)
            var shown = screen
            while Date() < deadline && edge_poll_in(master, 500) > 0 {
                let n = chunk.withUnsafeMutableBytes { CShim.read(master, $0.baseAddress, $0.count) }
                if n > 0 { shown += String(decoding: chunk[0..<n], as: UTF8.self) }
            }
            screen = ""
            return shown
        }

        /// Types a command line and returns its output up to the next prompt ("" if none came).
        func run(_ line: String, timeout: Double = 15) -> String {
            type(line + "\r")
            let shown = waitFor("edge> ", timeout: timeout) ?? ""
            // Drop the echoed line itself.
            if let end = shown.range(of: "\r\n") { return String(shown[end.upperBound...]) }
            return shown
        }
    }

    func agentLog(_ h: H) -> String {
        String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func technicianDiagnosesCommissionsAndGarbageDoesNotStopTheAgent() throws {
        let h = try H()
        let tty = try Terminal()
        try h.writeConfig(extra: """
            , "console": {"input": "tty", "device": "\(tty.slavePath)", "password": "\(Self.password)"},
              "logging": {"level": "debug"}
            """)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }

        // Nothing runs before the password: a command typed now is taken as a wrong password.
        try #require(tty.waitFor("Password: ") != nil, "no password prompt; agent log:\n\(agentLog(h).suffix(2000))")
        tty.type("status\r")
        let refused = tty.waitFor("Password: ") ?? ""
        #expect(refused.contains("wrong password"), "\(refused)")
        #expect(!refused.contains("uplink"), "a command ran before the password: \(refused)")
        tty.type(Self.password + "\r")
        let prompt = tty.waitFor("edge> ")
        try #require(prompt != nil, "no prompt after the password")
        #expect(!(prompt ?? "").contains(Self.password), "the password was echoed")

        // Data flows before we look.
        try #require(h.waitFor(20) { entries in Set(entries.map { $0.device }).count == 2 }, "no samples from both meters")

        let help = tty.run("help")
        for command in ["status", "buses", "devices", "points", "read", "write", "log", "mqtt", "config", "ota", "reboot"] {
            #expect(help.contains(command), "help lacks \(command): \(help)")
        }

        // status: wait (bounded) until the uplink is up and both devices answer.
        var status = ""
        let statusDeadline = Date().addingTimeInterval(15)
        repeat {
            status = tty.run("status")
            if status.contains("uplink: connected") && status.contains("devices: 2/2 online") { break }
            usleep(300_000)
        } while Date() < statusDeadline
        #expect(status.contains("uplink: connected"), "\(status)")
        #expect(status.contains("devices: 2/2 online"), "\(status)")
        #expect(status.contains("ring log: "), "\(status)")
        #expect(status.range(of: #"config: \(unversioned\), sha256 [0-9a-f]{64}\s"#, options: .regularExpression) != nil, "\(status)")
        #expect(status.contains("KiB resident"), "\(status)")

        // Backspace (DEL and BS) edits the line: "stax" minus one, "tq" minus one, then "us".
        let edited = tty.run("stax\u{7F}tq\u{08}us")
        #expect(edited.contains("uplink: connected"), "backspace did not edit the line: \(edited)")

        let devices = tty.run("devices")
        #expect(devices.contains("m1") && devices.contains("m2") && devices.contains("online"), "\(devices)")
        #expect(devices.contains("plant unit 1"), "\(devices)")

        // Values from the pymodbus slave: holding i of unit u is u * 1000 + i.
        let points = tty.run("points m1")
        #expect(points.contains("m1.r0") && points.contains("1000") && points.contains("good"), "\(points)")
        #expect(points.contains("m1.r1") && points.contains("1001"), "\(points)")
        #expect(!points.contains("m2."), "points m1 showed another device: \(points)")
        let all = tty.run("points")
        #expect(all.contains("m2.r0") && all.contains("2000"), "\(all)")

        let read = tty.run("read m2 r1")
        #expect(read.contains("m2.r1") && read.contains("2001") && read.contains("good"), "\(read)")
        #expect(tty.run("read m1 holding 1").contains("1001"))
        #expect(tty.run("read nosuch r1").contains("no device 'nosuch'"))
        #expect(tty.run("read m1 nosuch").contains("no point 'nosuch'"))

        // Raw registers and bits outside the configured points (commissioning), through the bus
        // worker: holding 20..22 of unit 2 are 2020..2022; coil i is set when i % 3 == 0;
        // addresses from 2000 on do not exist in the slave (exception 2).
        let raw = tty.run("read m2 holding 20 3")
        #expect(raw.contains("m2 holding 20") && raw.contains("0x07E4") && raw.contains("2020"), "\(raw)")
        #expect(raw.contains("m2 holding 22") && raw.contains("2022") && !raw.contains("m2 holding 23"), "\(raw)")
        let coils = tty.run("read m1 coil 0 4")
        let coilLines = coils.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("m1 coil ") }
        #expect(coilLines.map { $0.split(separator: " ").last.map(String.init) ?? "" } == ["1", "0", "0", "1"], "\(coils)")
        let missing = tty.run("read m1 holding 2500")
        #expect(missing.contains("FAILED: exception 2"), "\(missing)")
        #expect(tty.run("read m1 holding 5 17").contains("give a count from 1 to 16"))

        // A write reaches the slave: the next poll of the register reads it back.
        let write = tty.run("write m1 limit 1234")
        #expect(write.contains("m1.limit: written"), "\(write)")
        var readBack = ""
        let readDeadline = Date().addingTimeInterval(10)
        repeat {
            readBack = tty.run("read m1 limit")
            if readBack.contains("1234") { break }
        } while Date() < readDeadline
        #expect(readBack.contains("1234") && readBack.contains("good"), "the write did not reach the slave: \(readBack)")
        let tooHigh = tty.run("write m1 limit 99999")
        #expect(tooHigh.contains("refused, nothing written") && tooHigh.contains("allowed range"), "\(tooHigh)")
        let readOnly = tty.run("write m1 r0 5")
        #expect(readOnly.contains("not writable"), "\(readOnly)")
        #expect(tty.run("read m1 limit").contains("1234"), "a refused write changed the register")

        let buses = tty.run("buses")
        #expect(buses.contains("plant: tcp") && buses.contains("polls") && buses.contains("responses"), "\(buses)")

        let mqtt = tty.run("mqtt")
        #expect(mqtt.contains("connected") && mqtt.contains("in flight") && mqtt.contains("confirmed"), "\(mqtt)")

        // Without --board there is nothing to upgrade; with the OTA code answering, the slots.
        let ota = tty.run("ota status")
        #expect(!ota.isEmpty && !ota.contains("unknown command") && !ota.contains("usage:"), "\(ota)")

        let config = tty.run("config")
        #expect(config.contains("cloud.gateway: gwPK/gw1"), "\(config)")
        #expect(config.contains("console: tty"), "\(config)")
        #expect(!config.contains(Self.gatewaySecret) && !config.contains(Self.password), "a secret in config: \(config)")

        let log = tty.run("log 50")
        #expect(log.contains("console: logged in"), "\(log)")
        #expect(log.contains("command: write m1 limit 1234"), "writes are logged for audit: \(log)")

        // A secret typed into a command line is masked in what the command shows and in the log.
        let masked = tty.run("points \(Self.gatewaySecret)")
        #expect(masked.contains("no device '***'"), "\(masked)")

        // Garbage: random bytes (NUL, escapes, 0xFF, DEL, stray CR/LF), an overlong line, Ctrl-C.
        let seed = TestSeed.seed(for: "EndToEndConsoleTests garbage")   // EDGE_TEST_SEED=N replays the bytes
        var generator = SeededGenerator(seed: seed)
        var junk: [UInt8] = []
        for _ in 0..<4000 { junk.append(UInt8.random(in: 0...255, using: &generator)) }
        junk += [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
        tty.send(junk)
        tty.send([0x03])   // Ctrl-C: abandon whatever half line (or pending command) is left
        let countBefore = h.entries().count
        let garbage = tty.drain()
        #expect(garbage.contains("unknown command") || garbage.contains("too many words") || garbage.contains("missing closing quote"),
                "seed \(seed): the garbage never reached the console: \(garbage.suffix(300))")
        var after = ""
        let afterDeadline = Date().addingTimeInterval(15)
        repeat {
            after = tty.run("status")
            if after.contains("uplink: connected") { break }
            tty.drain(timeout: 2)
        } while Date() < afterDeadline
        #expect(after.contains("uplink: connected"), "seed \(seed): the console does not answer after garbage: \(after.suffix(500))")
        #expect(h.agentIsRunning, "the agent stopped after garbage on the console")
        #expect(h.waitFor(15) { $0.count > countBefore + 4 }, "polling and publishing stopped after garbage")

        #expect(h.stopAgent(signal: SIGTERM) == 0)
        let text = agentLog(h)
        #expect(text.contains("console: on \(tty.slavePath)"), "\(text.suffix(2000))")
        #expect(text.contains("command: points ***"), "the command line was not logged masked")
        #expect(!text.contains(Self.gatewaySecret), "the gateway secret is in the log")
        #expect(!text.contains(Self.password), "the console password is in the log")
    }

    /// `reboot` on a console without a password: the agent syncs, disconnects and exits with the
    /// reboot status (`OTAExitStatus.rebootRequested`, 10) that the qemu boards' supervisor acts on
    /// (a host run has no machine to reboot).
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func rebootStopsCleanlyWithTheRebootStatus() throws {
        let h = try H()
        let tty = try Terminal()
        try h.writeConfig(extra: #", "console": {"input": "tty", "device": "\#(tty.slavePath)"}"#)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("edge> ") != nil, "no prompt")
        try #require(h.waitFor(20) { !$0.isEmpty }, "no samples")
        tty.type("reboot\r")
        #expect(tty.waitFor("rebooting") != nil)
        let deadline = Date().addingTimeInterval(15)
        while h.agentIsRunning && Date() < deadline { usleep(20_000) }
        #expect(!h.agentIsRunning, "the agent did not stop after reboot")
        #expect(h.stopAgent(signal: SIGKILL) == 10)
        #expect(agentLog(h).contains("console: reboot: syncing the ring log"))
    }

    /// `status` shows a short configuration version. On the aarch64 firmware such a version is a
    /// small String, and `status` crashed the agent on it (SIGSEGV) until the Embedded runtime's
    /// swift_bridgeObjectRetain was wrapped (CShim/embedded_runtime.c): it returned a masked
    /// pointer, which the optimised console code kept as the string.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func statusShowsAShortConfigurationVersion() throws {
        let h = try H()
        let tty = try Terminal()
        try h.writeConfig(extra: #", "version": "v1", "console": {"input": "tty", "device": "\#(tty.slavePath)"}"#)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("edge> ") != nil, "no prompt")
        let status = tty.run("status")
        #expect(status.range(of: #"config: v1, sha256 [0-9a-f]{64}\s"#, options: .regularExpression) != nil, "\(status)")
        #expect(h.agentIsRunning, "the agent stopped on status: \(agentLog(h).suffix(1000))")
    }

    /// With everything logged (debug: the effective configuration, commands, events), no secret
    /// of the configuration appears in the agent's stderr: not the gateway's or sub-devices'
    /// device secrets, not the console password.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func secretsNeverReachTheLog() throws {
        let h = try H()
        try h.writeConfig(extra: """
            , "console": {"input": "none", "password": "\(Self.password)"},
              "logging": {"level": "debug"}
            """)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(h.waitFor(20) { entries in Set(entries.map { $0.device }).count == 2 }, "no samples from both meters")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
        let text = agentLog(h)
        // Not vacuous: the configuration, with its secret-bearing entries, was logged.
        #expect(text.contains("config: cloud.gateway: gwPK/gw1 secret ****"), "\(text.prefix(3000))")
        #expect(text.contains("config: cloud.subDevice: m1"), "\(text.prefix(3000))")
        for secret in [Self.gatewaySecret, Self.password, "\"s1\"", " s1 ", " s2 "] {
            #expect(!text.contains(secret), "\(secret) is in the log")
        }
    }
}
