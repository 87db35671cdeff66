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
        try countTurns { h in try h.writeConfig(intervalMs: 100) }
    }

    /// The same with derived points, a scale-factor point, deadbands, windows, a virtual device
    /// and a console trace of a windowed point: the computations, the windows, the trace and the
    /// report-by-exception filters allocate nothing either.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func steadyStateLoopTurnsWithFormulasAndDeadbandsAllocateNothing() throws {
        var suppressed: UInt64 = 0
        var windows = 0
        try countTurns(prepare: { loop in loop.computation.watch(device: 0, point: 7) },
                       during: { loop in
                           suppressed = loop.store.stats.samplesSuppressed
                           windows = Int(loop.computation.trace.written)
                       }) { h in
            try h.writeConfig(intervalMs: 100, points: #"""
                , {"id": "sf", "table": "coil", "address": 0},
                  {"id": "r2", "table": "holding", "address": 2, "type": "uint16", "scale": "@sf", "deadband": 1, "maxReportMs": 1000},
                  {"id": "total", "formula": "r0 + r1 * 2", "deadbandPercent": 0.5},
                  {"id": "ratio", "formula": "if(r1 != 0, r0 / r1, 0)", "minReportMs": 500},
                  {"id": "avg", "formula": "r0", "window": "1s", "aggregate": "avg"},
                  {"id": "energy", "formula": "total / 3600", "window": "500ms", "aggregate": "integral", "deadband": 0.01}
                """#, devices: #"""
                , {"name": "site", "type": "virtual", "points": [{"id": "sum", "formula": "m1.r0 + m2.total", "deadband": 10}]}
                """#)
        }
        #expect(suppressed > 20, "report-by-exception held back too little: \(suppressed)")
        #expect(windows > 20, "too few traced steps of the windowed point: \(windows)")
    }

    /// With alarm rules of every kind evaluated each batch (one raised during the warm-up and
    /// posted as an event, confirmed; the others never met): evaluation allocates nothing.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func steadyStateLoopTurnsWithAlarmRulesAllocateNothing() throws {
        var events: UInt64 = 0
        var raised = false
        try countTurns(during: { loop in
            events = loop.store.stats.alarmEventsSent
            raised = loop.alarms.evaluator.isRaised(0)
        }) { h in
            try h.writeConfig(intervalMs: 100, extra: #"""
                , "alarms": [
                  {"id": "r0-high", "device": "m1", "high": {"point": "r0", "limit": 10, "hysteresis": 1}, "level": "major",
                   "message": "r0 {r0}", "eventId": "r0High",
                   "outputs": [{"id": "v", "point": "r0"}, {"id": "desc", "value": "message"}, {"id": "state", "value": "state"}]},
                  {"id": "r1-low", "device": "m1", "low": {"point": "r1", "limit": 5}, "eventId": "r1Low"},
                  {"id": "sum", "device": "m2", "condition": "r0 + r1 > 100000 && limit == 0", "onDelayMs": 1000, "eventId": "sum"},
                  {"id": "rate", "device": "m2", "rateOfChange": {"point": "r0", "perSecond": 1000}, "eventId": "rate"},
                  {"id": "change", "device": "m1", "stateChange": {"point": "r1"}, "offDelayMs": 500, "eventId": "change"},
                  {"id": "stale", "device": "m2", "stale": {"point": "r1", "afterMs": 60000}, "eventId": "stale"},
                  {"id": "offline", "device": "m1", "offline": true, "onDelayMs": 5000, "eventId": "offline"}]
                """#)
        }
        #expect(raised, "the r0-high alarm was not raised")
        #expect(events >= 1, "no alarm event was sent")
    }

    func countTurns(prepare: (inout AgentLoop<MemoryFlashDevice, SystemClock, EnOSUplink<TCPStream, SystemClock>>) -> Void = { _ in },
                    during check: (inout AgentLoop<MemoryFlashDevice, SystemClock, EnOSUplink<TCPStream, SystemClock>>) -> Void = { _ in },
                    _ configure: (EndToEndHarness) throws -> Void) throws {
        #expect(AllocationCounter.isActive)
        let h = try EndToEndHarness()
        try configure(h)
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
        prepare(&loop)
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
        check(&loop)
        loop.shutdown()
        #expect(confirmed > 3, "too little happened while counting: \(confirmed) confirmations")
        #expect(recorded > 20, "too few samples while counting: \(recorded)")
        #expect(counted.allocations == 0, "\(counted) over 300 turns (\(recorded) samples, \(confirmed) confirmed requests)")
    }
}
