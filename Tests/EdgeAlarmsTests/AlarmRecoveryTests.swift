import EdgeAlarms
import EdgeCore
import Testing

/// Restart: active alarms come back from the records in the ring log.
@Suite struct AlarmRecoveryTests {
    /// Runs `p` through `script`, returning the records it would have appended.
    static func records(_ p: AlarmPlant, _ transitions: [AlarmTransition]) -> [[UInt8]] {
        transitions.map { AlarmRecordTests.encoded(p, $0) }
    }

    static func recover(_ rules: AlarmRuleSet, _ records: [[UInt8]]) -> AlarmRecovery {
        var r = AlarmRecovery(rules: rules)
        for rec in records { rec.withUnsafeBytes { r.apply(bytes: $0) } }
        return r
    }

    @Test func anActiveAlarmIsRestoredAndNotRaisedAgain() throws {
        var before = try AlarmPlant([overTemperature("a", onDelay: 0), overTemperature("b", onDelay: 0)])
        var log = AlarmRecoveryTests.records(before, before.feed("TEMP", 90, at: 1_000))
        #expect(log.count == 2)
        log += AlarmRecoveryTests.records(before, [clear(2_000, rule: 1)])  // b cleared before the restart
        var after = try AlarmPlant([overTemperature("a", onDelay: 0), overTemperature("b", onDelay: 0)])
        let recovery = AlarmRecoveryTests.recover(after.evaluator.rules, log)
        #expect(recovery.activeCount == 1)
        after.evaluator.restore(recovery)
        #expect(after.state(0) == .active)
        #expect(after.evaluator.raisedAt(0) == 1_000)
        #expect(after.feed("TEMP", 90, at: 50_000) == [raise(50_000, rule: 1)], "a stays raised; b is raised anew")
    }

    @Test func anAlarmWhoseConditionWentAwayDuringTheRestartClearsWithTheRightTimes() throws {
        var before = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 10_000)])
        let log = AlarmRecoveryTests.records(before, before.feed("TEMP", 90, at: 1_000))
        var after = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 10_000)])
        after.evaluator.restore(AlarmRecoveryTests.recover(after.evaluator.rules, log))
        #expect(after.feed("TEMP", 20, at: 100_000) == [])
        #expect(after.feed("TEMP", 20, at: 110_000) == [clear(100_000)])
    }

    @Test func recordsMatchRulesByIdentifierNotPosition() throws {
        var before = try AlarmPlant([overTemperature("a", onDelay: 0), overTemperature("gone", onDelay: 0)])
        let log = AlarmRecoveryTests.records(before, before.feed("TEMP", 90, at: 1_000))
        let reordered = try AlarmPlant.compile([overTemperature("new"), overTemperature("a")])
        let recovery = AlarmRecoveryTests.recover(reordered, log)
        #expect(recovery.raisedAt == [nil, 1_000])
        #expect(recovery.unmatchedRecords == 1)
    }

    @Test func sampleRecordsAreSkippedAndDamagedRecordsCounted() throws {
        var before = try AlarmPlant([overTemperature(onDelay: 0)])
        var log = AlarmRecoveryTests.records(before, before.feed("TEMP", 90, at: 1_000))
        log.insert([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], at: 0)  // an empty sample record
        log.append(Array(log[1].dropLast()))                            // a torn alarm record
        let recovery = AlarmRecoveryTests.recover(before.evaluator.rules, log)
        #expect(recovery.raisedAt == [1_000])
        #expect(recovery.unreadableRecords == 1)
    }
}
