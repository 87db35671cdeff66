import EdgeAlarms
import Testing

/// Definitions refused at load, each naming the part and column that is wrong.
@Suite struct AlarmRuleCompileTests {
    static func refusal(_ definitions: [AlarmDefinition]) -> AlarmRuleError? {
        do throws(AlarmRuleError) {
            _ = try AlarmPlant.compile(definitions)
            return nil
        } catch {
            return error
        }
    }

    @Test func aConditionThatDoesNotParseNamesItsColumn() {
        let e = AlarmRuleCompileTests.refusal([overTemperature(condition: .expression("TEMP > > 3"))])
        #expect(e?.field == .condition && e?.column == 8)
    }

    @Test func unknownPointsAreRefusedWherevarTheyAre() {
        var e = AlarmRuleCompileTests.refusal([overTemperature(condition: .expression("TEMP > NOPE"))])
        #expect(e?.field == .condition && e?.column == 8 && e?.message.contains("NOPE") == true)
        e = AlarmRuleCompileTests.refusal([overTemperature(condition: .high(point: "NOPE", limit: 1, hysteresis: 0))])
        #expect(e?.field == .condition)
        e = AlarmRuleCompileTests.refusal([overTemperature(condition: .stale(point: "NOPE", afterMilliseconds: 1))])
        #expect(e == AlarmRuleError(.condition, "unknown point \"NOPE\""))
        var d = overTemperature()
        d.message = "at {NOPE}"
        #expect(AlarmRuleCompileTests.refusal([d]) == AlarmRuleError(.message, column: 5, "unknown point \"NOPE\""))
        d = overTemperature()
        d.outputs.append(AlarmOutputDefinition("x", .point("NOPE")))
        #expect(AlarmRuleCompileTests.refusal([d])?.field == .output(4))
    }

    @Test func badTemplatesAreRefused() {
        var d = overTemperature()
        d.message = "too hot {TEMP"
        #expect(AlarmRuleCompileTests.refusal([d]) == AlarmRuleError(.message, column: 9, "\"{\" without a closing \"}\""))
        d.message = "{}"
        #expect(AlarmRuleCompileTests.refusal([d])?.column == 1)
        d.message = "a\u{1}b"
        #expect(AlarmRuleCompileTests.refusal([d])?.column == 2)
    }

    @Test func duplicateIdentifiersAndBadNamesAreRefused() {
        #expect(AlarmRuleCompileTests.refusal([overTemperature("a"), overTemperature("a")]) == AlarmRuleError(.identifier, "duplicate alarm id \"a\""))
        #expect(AlarmRuleCompileTests.refusal([overTemperature("a b")])?.field == .identifier)
        var d = overTemperature()
        d.eventId = "over/temp"
        #expect(AlarmRuleCompileTests.refusal([d])?.field == .eventId)
        d = overTemperature()
        d.outputs.append(AlarmOutputDefinition("temp", .level))
        #expect(AlarmRuleCompileTests.refusal([d]) == AlarmRuleError(.output(4), "duplicate output id \"temp\""))
    }

    @Test func delaysAndLimitsOutOfRangeAreRefused() {
        #expect(AlarmRuleCompileTests.refusal([overTemperature(onDelay: 86_400_001)])?.field == .condition)
        #expect(AlarmRuleCompileTests.refusal([overTemperature(condition: .high(point: "TEMP", limit: 1, hysteresis: -1))])?.field == .condition)
        #expect(AlarmRuleCompileTests.refusal([overTemperature(condition: .rateOfChange(point: "W", perSecond: 0))])?.field == .condition)
    }

    @Test func aRefusedRuleLeavesTheSetAsItWas() throws {
        var b = AlarmRuleSetBuilder()
        try b.add(overTemperature("a"), resolve: AlarmPlant.slot)
        let before = b.set
        #expect(throws: AlarmRuleError.self) { try b.add(overTemperature("b", condition: .expression("NOPE")), resolve: AlarmPlant.slot) }
        #expect(b.set == before)
        try b.add(overTemperature("b"), resolve: AlarmPlant.slot)
        #expect(b.set.count == 2)
    }
}
