import Agent
import CShim
import EdgeCore
import FieldBus
import Foundation
import Logging
import MQTT
import RingLog
import Testing
@testable import Configuration
@testable import StoreForward
@testable import CloudLink

/// The agent's loop logs why the cloud connection fails, once per cause: against a port where
/// nothing listens, a reconnect loop writes one warning naming "connection refused" and the
/// repeats at debug level; when the cause changes (a real mosquitto that refuses anonymous
/// clients) the new cause is a warning again, with the CONNACK code and its meaning; the
/// connect that finally works says how many attempts failed.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto")))
struct UplinkFailureLogTests {
    typealias Loop = AgentLoop<MemoryFlashDevice, SystemClock, EnOSUplink<TCPStream, SystemClock>>

    static func freePort() -> UInt16 {
        let fd = edge_tcp_listen_loopback(0)
        defer { close(fd) }
        return UInt16(edge_socket_local_port(fd))
    }

    static func makeLoop(port: UInt16, history: LogHistory, signal: Int32) throws -> Loop {
        let text = AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""host": "localhost", "port": 1883,"#,
            with: #""host": "127.0.0.1", "port": \#(port), "reconnectMinMs": 100, "reconnectMaxMs": 200, "connectWindowMs": 400,"#)
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        let clock = SystemClock()
        let device = MemoryFlashDevice(geometry: FlashGeometry(size: 1 << 20, sectorSize: 64 << 10))
        let ring = try RingLog(device: device, clock: clock, options: config.store.options)
        let store = StoreAndForward(log: ring, clock: clock, settings: config.publishing)
        let uplink = EnOSUplink(configuration: config, transport: TCPStream(), clock: clock, firmwareVersion: "test")
        let log = Logger(threshold: .debug, destination: .none, wallClock: { clock.wallNow() }, history: history)
        return AgentLoop(configuration: config, store: store, uplink: uplink, workers: [], clock: clock,
                         signalDescriptor: signal, log: log)
    }

    static func lines(_ history: LogHistory) -> [String] {
        var out: [String] = []
        history.forEachLine { out.append(String(decoding: $0, as: UTF8.self)) }
        return out
    }

    static func run(_ loop: inout Loop, _ history: LogHistory, seconds: Double, until done: ([String]) -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline && !done(lines(history)) { _ = loop.turn(maximumWaitMilliseconds: 20) }
    }

    /// A mosquitto on `port`; `anonymous` false: it refuses clients without credentials (CONNACK 5).
    static func mosquitto(port: UInt16, anonymous: Bool, directory: URL) throws -> Process {
        let conf = directory.appendingPathComponent("mosquitto-\(anonymous).conf")
        try "listener \(port) 127.0.0.1\nallow_anonymous \(anonymous)\n".write(to: conf, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: conf.path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
        p.arguments = ["-c", conf.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        // The loop blocks SIGTERM on this thread; the broker must not inherit that.
        try EndToEndHarness.unblockingSignals { try p.run() }
        return p
    }

    static func stop(_ p: Process) {
        p.terminate()
        let deadline = Date().addingTimeInterval(5)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    @Test func eachCauseIsAWarningOnceAndItsRepeatsAreDebugLines() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplink-causes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        var fds: [Int32] = [-1, -1]
        #expect(edge_pipe_nonblocking(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let port = Self.freePort()
        let history = LogHistory(lineCapacity: 400, lineLength: 400)
        var loop = try Self.makeLoop(port: port, history: history, signal: fds[0])
        try loop.start()
        defer { loop.shutdown() }
        let refused = "uplink: cannot connect to 127.0.0.1:\(port): connection refused (nothing listens on the port)"

        // Nothing listens: one warning, then repeats at debug level.
        Self.run(&loop, history, seconds: 15) { $0.filter { $0.contains("connection refused") }.count >= 4 }
        var seen = Self.lines(history)
        #expect(seen.filter { $0.contains(refused + "; samples are kept in the ring log") }.count == 1, "\(seen)")
        #expect(seen.filter { $0.contains(refused + " (again, ") }.count >= 3, "\(seen)")
        #expect(!seen.contains { $0.contains("uplink disconnected; samples are kept in the ring log") }, "\(seen)")

        // A broker that refuses anonymous clients: a new cause, a new warning, once.
        let strict = try Self.mosquitto(port: port, anonymous: false, directory: directory)
        Self.run(&loop, history, seconds: 15) { $0.filter { $0.contains("CONNACK return code 5") }.count >= 3 }
        Self.stop(strict)
        seen = Self.lines(history)
        let notAuthorized = "uplink: cannot connect to 127.0.0.1:\(port): broker refused the connection: CONNACK return code 5 (not authorized)"
        #expect(seen.filter { $0.contains(notAuthorized + "; samples are kept") }.count == 1, "\(seen)")
        #expect(seen.filter { $0.contains(notAuthorized + " (again, ") }.count >= 2, "\(seen)")

        // An open broker: connected, after the failed attempts.
        let open = try Self.mosquitto(port: port, anonymous: true, directory: directory)
        defer { Self.stop(open) }
        Self.run(&loop, history, seconds: 15) { $0.contains { $0.contains("uplink connected to 127.0.0.1:\(port) after ") } }
        seen = Self.lines(history)
        #expect(seen.contains { $0.contains("uplink connected to 127.0.0.1:\(port) after ") && $0.contains(" failed attempts") }, "\(seen)")
    }
}
