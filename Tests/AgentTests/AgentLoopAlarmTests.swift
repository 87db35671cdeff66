import Agent
import EdgeAlarms
import EdgeCore
import FieldBus
import Foundation
import Testing
@testable import StoreForward

/// Alarms in the loop, in this process (`LoopHarness`: buses in memory, manual clock): a raise is
/// durable in the ring log in the turn that evaluates it, not at the next group commit.
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
        h.loop.turn(maximumWaitMilliseconds: 0)   // no time passes: no group commit can run
        let appended = h.loop.store.log.nextAppendSequence
        #expect(appended > before, "nothing appended")
        var lines: [String] = []
        h.history.forEachLine { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines.contains { $0.contains("alarm high-v raised") }, "\(lines)")
        // The raise (the newest record) and the sample before it are durable already.
        #expect((h.loop.store.log.durableSequence ?? 0) == appended - 1)
    }
}
