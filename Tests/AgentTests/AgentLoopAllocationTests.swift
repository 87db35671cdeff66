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

/// The agent's loop in this process, with its real parts (bus worker over pymodbus TCP, EnOS
/// uplink over TCP to mosquitto and the cloud simulator, ring log on the memory device): after
/// warming up, turns that poll, record, commit, publish, confirm and post status allocate nothing
/// on the loop's thread.
@Suite(.serialized) struct AgentLoopAllocationTests {
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func steadyStateLoopTurnsAllocateNothing() throws {
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
        var loop = AgentLoop(configuration: config, store: store, uplink: uplink, workers: workers, clock: clock,
                             signalDescriptor: fds[0], log: AgentLog(LoggingSettings(level: .error)))
        try loop.start()
        // Warm up: connect, log in, publish and confirm for a while (first-time allocations).
        let warm = Date().addingTimeInterval(4)
        while Date() < warm { _ = loop.turn(maximumWaitMilliseconds: 50) }
        let confirmedBefore = loop.store.stats.requestsConfirmed
        let recordedBefore = loop.store.stats.samplesRecorded
        #expect(confirmedBefore > 0, "nothing confirmed while warming up")
        let counted = AllocationCounter.count {
            for _ in 0..<300 { _ = loop.turn(maximumWaitMilliseconds: 20) }
        }
        let confirmed = loop.store.stats.requestsConfirmed - confirmedBefore
        let recorded = loop.store.stats.samplesRecorded - recordedBefore
        loop.shutdown()
        #expect(confirmed > 3, "too little happened while counting: \(confirmed) confirmations")
        #expect(recorded > 20, "too few samples while counting: \(recorded)")
        #expect(counted.allocations == 0, "\(counted) over 300 turns (\(recorded) samples, \(confirmed) confirmed requests)")
    }
}
