import Agent
import EdgeAlarms
import EdgeCore
import FieldBus
import RingLog
import Testing
import TestSupport
@testable import Configuration
@testable import StoreForward

/// An alarm raised before a restart, whose record is still in the ring log (delivered or not),
/// is active again after it: not raised a second time while its condition holds, and cleared
/// with the time the condition went.
@Suite struct AlarmRestartTests {
    static func configuration() throws -> AgentConfiguration {
        try AgentConfiguration.parse(Array(AlarmConfigurationTests.config(
            #"[{"id": "hot", "device": "inverter-1", "high": {"point": "temperature", "limit": 80, "hysteresis": 5}, "eventId": "overTemp"}]"#).utf8),
            file: "agent.json", checkDevicePaths: false)
    }

    /// The cloud confirmed the raise (the log's acknowledged cursor is past it, checkpointed)
    /// before the restart: the raise is still in the log, and replaying every retained record
    /// (as `AgentLoop.recoverAlarms` does) keeps the alarm active; the unacknowledged records
    /// alone would not.
    @Test func aDeliveredRaiseIsStillActiveAfterARestart() throws {
        let c = try Self.configuration()
        let points = c.fieldBus.templates[c.fieldBus.devices[0].template].points
        let temperature = try #require(points.firstIndex { $0.identifier == "temperature" })
        let clock = ManualClock()
        let device = StoreAndForwardTests.device()
        do {
            var store = try StoreAndForwardTests.store(device, clock)
            let station = AlarmStation(c.alarms, devices: c.fieldBus.devices.count)
            station.observe(Sample(device: 0, point: temperature, value: .double(90), quality: .good, time: WallTime(milliseconds: 1_000)))
            station.evaluateAndStoreIfDue(wallNow: 1_000) { bytes, time in (try? store.appendAlarm(bytes, time: time)) ?? nil }
            try store.sync()
            let durable = store.log.durableSequence ?? 0
            try store.log.acknowledge(upTo: durable)
            try store.log.checkpoint()
            try store.sync()
            let acknowledged = store.log.acknowledgedSequence
            #expect(acknowledged == durable && durable > 0)
        }
        var store = try StoreAndForwardTests.store(device, clock)
        let acknowledged = store.log.acknowledgedSequence
        #expect(acknowledged > 0)
        let unacknowledgedOnly = AlarmStation(c.alarms, devices: c.fieldBus.devices.count)
        #expect(unacknowledgedOnly.recover(sequenced: { apply in try? store.forEachUnacknowledged { apply(0, $0) } }).active == 0)
        let station = AlarmStation(c.alarms, devices: c.fieldBus.devices.count)
        let recovered = station.recover(sequenced: { apply in try? store.forEachRetainedRecord(apply) })
        #expect(recovered.active == 1 && recovered.unmatched == 0)
        #expect(station.evaluator.isRaised(0) && station.evaluator.raisedAt(0) == 1_000)
        var transitions = 0
        station.observe(Sample(device: 0, point: temperature, value: .double(95), quality: .good, time: WallTime(milliseconds: 2_000)))
        station.evaluateAndStoreIfDue(wallNow: 2_000) { _, _ in transitions += 1; return nil }
        #expect(transitions == 0, "raised again after the restart")
    }

    @Test func anUndeliveredRaiseIsActiveAgainAfterARestartAndClearsOnce() throws {
        let c = try Self.configuration()
        let points = c.fieldBus.templates[c.fieldBus.devices[0].template].points
        let temperature = try #require(points.firstIndex { $0.identifier == "temperature" })
        func sample(_ value: Double, at ms: Int64) -> Sample {
            Sample(device: 0, point: temperature, value: .double(value), quality: .good, time: WallTime(milliseconds: ms))
        }
        let clock = ManualClock()
        let device = StoreAndForwardTests.device()

        do {
            var store = try StoreAndForwardTests.store(device, clock)
            let station = AlarmStation(c.alarms, devices: c.fieldBus.devices.count)
            var appended = 0
            station.observe(sample(90, at: 1_000))
            station.evaluateAndStoreIfDue(wallNow: 1_000) { bytes, time in
                let sequence = (try? store.appendAlarm(bytes, time: time)) ?? nil
                if sequence != nil { appended += 1 }
                return sequence
            }
            #expect(appended == 1 && station.evaluator.isRaised(0))
            try store.sync()
        }

        // Restarted: the raise is read back from the log.
        var store = try StoreAndForwardTests.store(device, clock)
        let station = AlarmStation(c.alarms, devices: c.fieldBus.devices.count)
        var recovered: (active: Int, unmatched: Int) = (0, 0)
        recovered = station.recover(sequenced: { apply in try? store.forEachUnacknowledged { apply(0, $0) } })
        #expect(recovered.active == 1 && recovered.unmatched == 0)
        #expect(station.evaluator.isRaised(0) && station.evaluator.raisedAt(0) == 1_000)

        var transitions: [(AlarmTransition.Kind, Int64)] = []
        func step(_ value: Double, at ms: Int64) {
            station.observe(sample(value, at: ms))
            station.evaluateAndStoreIfDue(wallNow: ms) { bytes, _ in
                if let view = try? AlarmRecordView(bytes) { transitions.append((view.kind, view.timeMilliseconds)) }
                return nil
            }
        }
        step(95, at: 2_000)
        step(78, at: 3_000)   // within the hysteresis: still raised
        #expect(transitions.isEmpty, "raised again after the restart: \(transitions)")
        step(70, at: 4_000)
        #expect(transitions.count == 1 && transitions.first?.0 == .clear && transitions.first?.1 == 4_000, "\(transitions)")
    }
}
