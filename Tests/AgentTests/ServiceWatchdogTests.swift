import Agent
import CShim
import Configuration
import EdgeCore
import Foundation
import Logging
import Testing

/// What keeps a hung agent from running on: systemd's notify protocol (READY=1, WATCHDOG=1 at
/// half of WatchdogSec, STOPPING=1, datagrams on $NOTIFY_SOCKET read here from a real socket)
/// and a hardware watchdog device (a FIFO standing in for /dev/watchdog: kicked at the
/// configured interval, the magic "V" on a clean exit only).
@Suite(.serialized) struct ServiceWatchdogTests {
    /// An AF_UNIX datagram socket bound to a path: what systemd listens on.
    final class NotifyListener {
        let path: String
        let fd: Int32

        init(_ path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard fd >= 0, bound == 0 else { throw TestError("cannot bind \(path): errno \(errno)") }
        }

        deinit { close(fd); unlink(path) }

        /// The next datagram, waiting up to `seconds` for it (nil: none came).
        func next(within seconds: Double) -> String? { Self.read(fd, within: seconds) }

        static func read(_ fd: Int32, within seconds: Double) -> String? {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(seconds * 1000)) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
    }

    /// A FIFO standing in for /dev/watchdog, with its reading end open (non-blocking).
    final class FakeWatchdogDevice {
        let path: String
        let fd: Int32

        init(_ path: String) throws {
            self.path = path
            guard mkfifo(path, 0o600) == 0 else { throw TestError("mkfifo \(path): errno \(errno)") }
            fd = open(path, O_RDONLY | O_NONBLOCK)
        }

        deinit { close(fd); unlink(path) }

        /// What was written since the last call, waiting up to `seconds` for the first byte.
        func written(within seconds: Double) -> String {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, Int32(seconds * 1000)) == 1 else { return "" }
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = read(fd, &buffer, buffer.count)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
        }
    }

    struct TestError: Error, CustomStringConvertible {
        var description: String
        init(_ text: String) { description = text }
    }

    static func scratch() throws -> URL {
        // Short: sun_path holds 108 bytes.
        let dir = URL(fileURLWithPath: "/tmp/wd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    nonisolated(unsafe) static let log = Logger(threshold: .debug, destination: .none, wallClock: { WallTime(milliseconds: 0) },
                            history: LogHistory(lineCapacity: 16, lineLength: 256))

    static func at(_ ms: UInt64) -> MonotonicInstant { MonotonicInstant(nanoseconds: 1_000_000_000 + ms * 1_000_000) }

    @Test func systemdIsToldReadyKeptAliveAtHalfTheWatchdogPeriodAndStopping() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let listener = try NotifyListener(dir.appendingPathComponent("notify").path)
        var watchdog = try ServiceWatchdog(settings: WatchdogSettings(), notifySocket: listener.path,
                                           notifyIntervalMicroseconds: 2_000_000, now: Self.at(0))
        let active = watchdog.isActive
        #expect(active)
        watchdog.ready(log: Self.log)
        #expect(listener.next(within: 2) == "READY=1")
        watchdog.kick(now: Self.at(0), log: Self.log)
        #expect(listener.next(within: 2) == "WATCHDOG=1")
        watchdog.kick(now: Self.at(999), log: Self.log)
        #expect(listener.next(within: 0.1) == nil, "kept alive before half the period")
        watchdog.kick(now: Self.at(1000), log: Self.log)
        #expect(listener.next(within: 2) == "WATCHDOG=1")
        watchdog.stop(log: Self.log)
        #expect(listener.next(within: 2) == "STOPPING=1")
    }

    @Test func aHardwareWatchdogIsKickedAtItsIntervalAndDisarmedOnlyByAStop() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let device = try FakeWatchdogDevice(dir.appendingPathComponent("watchdog").path)
        var watchdog = try ServiceWatchdog(settings: WatchdogSettings(device: device.path, kickIntervalMilliseconds: 5_000),
                                           notifySocket: nil, notifyIntervalMicroseconds: nil, now: Self.at(0))
        watchdog.kick(now: Self.at(0), log: Self.log)
        #expect(device.written(within: 2) == "k")
        watchdog.kick(now: Self.at(4_999), log: Self.log)
        #expect(device.written(within: 0.1) == "")
        watchdog.kick(now: Self.at(5_000), log: Self.log)
        #expect(device.written(within: 2) == "k")
        watchdog.stop(log: Self.log)
        #expect(device.written(within: 2) == "V")
    }

    @Test func aWatchdogThatCannotBeOpenedRefusesTheStartNamingIt() {
        var refusal: AgentStartError? = nil
        do throws(AgentStartError) {
            _ = try ServiceWatchdog(settings: WatchdogSettings(device: "/nonexistent/watchdog"), notifySocket: nil,
                                    notifyIntervalMicroseconds: nil, now: Self.at(0))
        } catch { refusal = error }
        #expect(refusal?.message.hasPrefix("watchdog: cannot open /nonexistent/watchdog: ") == true, "\(String(describing: refusal))")
    }

    /// `edge-agent run` under a systemd-like supervisor: READY=1 once running, WATCHDOG=1 while
    /// the loop turns, the device kicked, and on SIGTERM STOPPING=1 and the magic close.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func theRunningAgentKeepsBothWatchdogsAndDisarmsThemOnSIGTERM() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let listener = try NotifyListener(dir.appendingPathComponent("notify").path)
        let device = try FakeWatchdogDevice(dir.appendingPathComponent("watchdog").path)
        let h = try EndToEndHarness()
        try h.writeConfig(extra: #", "watchdog": {"device": "\#(device.path)", "kickIntervalMs": 1000}"#)
        try h.startAgent(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        #expect(listener.next(within: 20) == "READY=1", "\(h.agentLogText().suffix(2000))")
        #expect(listener.next(within: 5) == "WATCHDOG=1")
        #expect(listener.next(within: 5) == "WATCHDOG=1")
        #expect(device.written(within: 5).hasPrefix("k"))
        #expect(device.written(within: 5).hasPrefix("k"), "kicked again after kickIntervalMs")
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(h.agentLogText().suffix(2000))")
        var last = ""
        while let message = listener.next(within: 1) { last = message }
        #expect(last == "STOPPING=1")
        var written = ""
        while case let chunk = device.written(within: 1), !chunk.isEmpty { written += chunk }
        #expect(written.hasSuffix("V"), "no magic close: \(written)")
    }
}
