import Agent
import EdgeAlarms
import EdgeCore
import FieldBus
import RingLog
import Foundation
import Testing
@testable import StoreForward

/// Alarms in the loop, in this process (`LoopHarness`: buses in memory, manual clock): a raise is
/// durable in the ring log in the turn that evaluates it, not at the next group commit; an alarm
/// that stays raised while the log wraps is still active after a restart.
@Suite struct AgentLoopAlarmTests {
    static func config() -> String {
        LoopHarness.configText(statusMs: 60_000, publishing: """
            {}, "alarms": [{"id": "high-v", "device": "d0", "high": {"point": "v", "limit": 10, "hysteresis": 1}, "eventId": "overV"}]
            """)
    }

    @Test func aRaiseIsDurableInTheTurnThatRaisesIt() throws {
        var h = try LoopHarness(configText: Self.config())
        h.connect()
        h.clock.advance(milliseconds: 1_000)
        h.turn()
        let before = h.loop.store.log.nextAppendSequence
        h.buses[0].deliver(.sample(Sample(device: 0, point: 0, value: .uint(20), quality: .good, time: h.clock.wallNow())))
        _ = h.loop.turn(maximumWaitMilliseconds: 0)   // no time passes: no group commit can run
        let appended = h.loop.store.log.nextAppendSequence
        #expect(appended > before, "nothing appended")
        var lines: [String] = []
        h.history.forEachLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines.contains { $0.contains("alarm high-v raised") }, "\(lines)")
        // The raise (the newest record) and the sample before it are durable already.
        #expect((h.loop.store.log.durableSequence ?? 0) == appended - 1)
    }

    @Test func anAlarmRaisedWhileTheLogWrapsIsStillActiveAfterARestart() throws {
        // A small log (8 sectors of 4 KiB) wrapped about five times while the alarm stays raised.
        let text = Self.config().replacingOccurrences(of: "\"size\": \"1MiB\", \"sectorSize\": \"64KiB\"",
                                                     with: "\"size\": \"32KiB\", \"sectorSize\": \"4KiB\"")
        #expect(text.contains("32KiB"))
        let flash = MemoryFlashDevice(geometry: FlashGeometry(size: 32 * 1024, sectorSize: 4096))
        var raiseSequence: UInt64 = 0
        do {
            var h = try LoopHarness(configText: text, flash: flash)
            h.connect()
            h.clock.advance(milliseconds: 1_000)
            h.turn()
            h.buses[0].deliver(h.sample(0, 0, 20))
            _ = h.loop.turn(maximumWaitMilliseconds: 0)
            raiseSequence = h.loop.store.log.nextAppendSequence - 1
            #expect(h.lines.contains { $0.contains("alarm high-v raised") }, "\(h.lines)")
            for k in 0..<6_000 {
                h.clock.advance(milliseconds: 100)
                h.buses[0].deliver(h.sample(0, 1, Double(k % 500)))
                _ = h.loop.turn(maximumWaitMilliseconds: 0)
            }
            #expect(h.loop.store.log.oldestSequence > raiseSequence + 1_000, "the log did not wrap past the raise")
            #expect(h.loop.alarms.evaluator.isRaised(0))
            #expect(h.loop.alarms.restatements >= 4, "\(h.loop.alarms.restatements) still-active copies")
            // Only the raise went to the uplink (the copies are for the restart, not the cloud).
            #expect(h.loop.store.stats.alarmRecordsDropped + h.loop.store.stats.alarmEventsSent == 1,
                    "\(h.loop.store.stats)")
            h.loop.shutdown()
        }
        var h = try LoopHarness(configText: text, flash: flash)
        #expect(h.loop.alarms.evaluator.isRaised(0), "\(h.lines)")
        #expect(h.loop.alarms.evaluator.raisedAt(0) == h.loop.alarms.lastTransition(0)?.time)
        #expect(h.lines.contains { $0.contains("1 active alarms recovered") }, "\(h.lines)")
        h.connect()
        h.buses[0].deliver(h.sample(0, 0, 21))
        _ = h.loop.turn(maximumWaitMilliseconds: 0)
        #expect(!h.lines.contains { $0.contains("alarm high-v raised") }, "raised again after the restart: \(h.lines)")
    }

    @Test func aRaiseIsAppendedWhenItsOnDelayEndsNotAtTheNextSample() throws {
        // Polled every 10 s (the harness's buses deliver only what the test gives them), an
        // on-delay of 2.5 s: the raise must not wait for the next sample.
        let text = Self.config().replacingOccurrences(of: "\"eventId\": \"overV\"}", with: "\"eventId\": \"overV\", \"onDelayMs\": 2500}")
        #expect(text.contains("onDelayMs"))
        var h = try LoopHarness(configText: text)
        h.connect()
        h.clock.advance(milliseconds: 1_000)
        h.turn()
        let metAt = h.clock.wallNow().milliseconds
        h.buses[0].deliver(h.sample(0, 0, 20))
        _ = h.loop.turn(maximumWaitMilliseconds: 0)
        #expect(!h.lines.contains { $0.contains("alarm high-v raised") }, "raised before its on-delay")
        var raisedAt: Int64? = nil
        var turns = 0
        while raisedAt == nil && h.clock.wallNow().milliseconds < metAt + 10_000 && turns < 1_000 {
            _ = h.loop.turn(maximumWaitMilliseconds: 10_000)   // the poller spends the whole wait at once
            turns += 1
            if h.lines.contains(where: { $0.contains("alarm high-v raised") }) { raisedAt = h.clock.wallNow().milliseconds }
        }
        #expect(turns < 1_000, "the loop keeps waking without time passing (spinning)")
        let at = try #require(raisedAt, "never raised: \(h.lines)")
        #expect(at >= metAt + 2_500 && at <= metAt + 2_600, "raised \(at - metAt) ms after the condition was met")
        #expect(h.lines.contains { $0.contains("condition time \(metAt) ms") }, "\(h.lines)")
    }
}
