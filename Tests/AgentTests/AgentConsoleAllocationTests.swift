import Agent
import CShim
import EdgeCore
import FieldBus
import Foundation
import MQTT
import RingLog
import Testing
import TestSupport
@testable import Configuration
@testable import StoreForward
@testable import CloudLink

/// The agent's console in the agent's own loop (real bus worker over pymodbus TCP, EnOS uplink
/// to mosquitto and the cloud simulator, ring log on the memory device), on a pseudo-terminal:
/// once warmed up, keystrokes and the `status` and `points` commands cost the loop's thread no
/// allocation, and the loop keeps polling and publishing while the console is used.
@Suite(.serialized) struct AgentConsoleAllocationTests {
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func keystrokesStatusAndPointsAllocateNothing() throws {
        #expect(AllocationCounter.isActive)
        let h = try EndToEndHarness()
        try h.writeConfig(intervalMs: 100)
        let config = try AgentConfiguration.load(file: h.configFile.path)
        let clock = SystemClock()
        let device = MemoryFlashDevice(geometry: FlashGeometry(size: 2 << 20, sectorSize: 16 << 10))
        let ring = try RingLog(device: device, clock: clock, options: config.store.options)
        let store = StoreAndForward(log: ring, clock: clock, settings: config.publishing)
        let workers = try AgentRunner.makeWorkers(config.fieldBus, clock: clock)
        let uplink = EnOSUplink(configuration: config, transport: TCPStream(), clock: clock, firmwareVersion: "test")
        var fds: [Int32] = [-1, -1]
        #expect(edge_pipe_nonblocking(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var name = [CChar](repeating: 0, count: 128)
        let master = edge_openpty_master(&name, name.count)
        try #require(master >= 0)
        defer { close(master) }
        let slave = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)

        let log = AgentLog(LoggingSettings(level: .error))
        var loop = AgentLoop(configuration: config, store: store, uplink: uplink, workers: workers, clock: clock,
                             signalDescriptor: fds[0], log: log)
        var console = AgentConsole.open(ConsoleSettings(input: .tty(device: slave)), boardTTY: nil, clock: clock,
                                        logger: log, configLines: config.maskedLines())
        let active = console.isActive
        #expect(active)
        try loop.start()

        let screen = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { screen.deallocate() }
        var shown = 0
        var prompts = 0
        let prompt = Array("edge> ".utf8)
        var matched = 0
        func turns(_ n: Int, typing line: UnsafeRawBufferPointer?) {
            if let line { _ = write(master, line.baseAddress, line.count) }
            for _ in 0..<n {
                _ = loop.turn(maximumWaitMilliseconds: console.prepare(&loop, maximum: 20))
                _ = console.serve(&loop)
                while edge_poll_in(master, 0) > 0 {
                    let got = read(master, screen.baseAddress! + shown, screen.count - shown)
                    if got <= 0 { break }
                    for i in shown..<(shown + got) {
                        matched = screen[i] == prompt[matched] ? matched + 1 : (screen[i] == prompt[0] ? 1 : 0)
                        if matched == prompt.count { prompts += 1; matched = 0 }
                    }
                    shown = (shown + got) % (screen.count / 2)
                }
            }
        }

        let status = Array("status\r".utf8)
        let points = Array("points m1\r".utf8)
        // Warm up: connect, log in, publish, and run each command once (first-time allocations).
        let warm = Date().addingTimeInterval(4)
        while Date() < warm { turns(1, typing: nil) }
        status.withUnsafeBytes { turns(20, typing: $0) }
        points.withUnsafeBytes { turns(20, typing: $0) }
        let promptsBefore = prompts
        let recordedBefore = loop.store.stats.samplesRecorded
        // Until the loop has done real work meanwhile (bounded at 20 s on a loaded machine).
        let deadline = clock.monotonicNow().advanced(byMilliseconds: 20_000)
        var typed = 0
        let counted = AllocationCounter.count {
            while typed < 20 || (loop.store.stats.samplesRecorded - recordedBefore <= 20 && clock.monotonicNow() < deadline) {
                status.withUnsafeBytes { turns(10, typing: $0) }
                points.withUnsafeBytes { turns(10, typing: $0) }
                typed += 2
            }
        }
        let answered = prompts - promptsBefore
        let recorded = loop.store.stats.samplesRecorded - recordedBefore
        loop.shutdown()
        #expect(answered >= typed - 5, "the console answered only \(answered) of \(typed) commands while counting")
        #expect(recorded > 20, "too few samples while the console was used: \(recorded)")
        #expect(counted.allocations == 0, "\(counted) for \(typed) commands typed and answered")
    }
}
