import EdgeAlarms
import Testing

/// The rule life cycle on the injected clock: delays, hysteresis, unknown.
@Suite struct AlarmStateMachineTests {
    @Test func onDelayRaisesOnceItHasHeldWithTheTimeTheConditionWasMet() throws {
        var p = try AlarmPlant([overTemperature()])
        #expect(p.feed("TEMP", 70, at: 1_000) == [])
        #expect(p.feed("TEMP", 85, at: 2_000) == [])
        #expect(p.state() == .pending)
        #expect(p.feed("TEMP", 86, at: 11_999) == [])
        #expect(p.feed("TEMP", 86, at: 12_000) == [raise(2_000)])
        #expect(p.state() == .active)
        #expect(p.feed("TEMP", 90, at: 13_000) == [], "raised once")
    }

    @Test func conditionGoneDuringOnDelayRaisesNothing() throws {
        var p = try AlarmPlant([overTemperature()])
        #expect(p.feed("TEMP", 85, at: 0) == [])
        #expect(p.feed("TEMP", 70, at: 9_000) == [])
        #expect(p.state() == .normal)
        #expect(p.feed("TEMP", 85, at: 10_000) == [])
        #expect(p.feed("TEMP", 85, at: 19_999) == [], "the on-delay starts over")
        #expect(p.feed("TEMP", 85, at: 20_000) == [raise(10_000)])
    }

    @Test func offDelayClearsWithTheTimeTheConditionStoppedAndAReturnKeepsTheAlarm() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0)])
        #expect(p.feed("TEMP", 85, at: 0) == [raise(0)])
        #expect(p.feed("TEMP", 70, at: 5_000) == [])
        #expect(p.state() == .clearing)
        #expect(p.feed("TEMP", 85, at: 20_000) == [], "back during the off-delay: no second raise")
        #expect(p.state() == .active)
        #expect(p.feed("TEMP", 70, at: 40_000) == [])
        #expect(p.feed("TEMP", 70, at: 69_999) == [])
        #expect(p.feed("TEMP", 70, at: 70_000) == [clear(40_000)])
        #expect(p.state() == .normal)
    }

    @Test func zeroDelaysRaiseAndClearAtOnce() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 0)])
        #expect(p.feed("TEMP", 81, at: 7) == [raise(7)])
        #expect(p.feed("TEMP", 10, at: 8) == [clear(8)])
    }

    @Test func highLimitHoldsUntilBelowTheHysteresisBand() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 0)])
        #expect(p.feed("TEMP", 80, at: 0) == [], "the limit itself is not above it")
        #expect(p.feed("TEMP", 80.5, at: 1) == [raise(1)])
        #expect(p.feed("TEMP", 76, at: 2) == [], "inside the band: held")
        #expect(p.feed("TEMP", 75.5, at: 3) == [])
        #expect(p.feed("TEMP", 75, at: 4) == [clear(4)], "at limit - hysteresis: cleared")
        #expect(p.feed("TEMP", 79, at: 5) == [], "below the limit again: not raised")
    }

    @Test func lowLimitHoldsUntilAboveTheHysteresisBand() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 0, condition: .low(point: "TEMP", limit: -10, hysteresis: 2))])
        #expect(p.feed("TEMP", -10.5, at: 0) == [raise(0)])
        #expect(p.feed("TEMP", -8.5, at: 1) == [])
        #expect(p.feed("TEMP", -8, at: 2) == [clear(2)])
    }

    @Test func badInputMakesTheRuleUnknownNotNormalAndAnActiveAlarmStaysRaised() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 10_000)])
        #expect(p.feed("TEMP", 90, at: 0) == [raise(0)])
        p.bad("TEMP")
        #expect(p.evaluate(at: 1_000) == [])
        #expect(p.state() == .unknown)
        #expect(p.evaluator.isRaised(0))
        #expect(p.evaluate(at: 60_000) == [], "unknown for long: no clear")
        #expect(p.feed("TEMP", 90, at: 61_000) == [], "good again and still over: active, no second raise")
        #expect(p.state() == .active)
        p.bad("TEMP")
        _ = p.evaluate(at: 62_000)
        #expect(p.feed("TEMP", 20, at: 63_000) == [], "good again and normal: the off-delay runs from now")
        #expect(p.state() == .clearing)
        #expect(p.feed("TEMP", 20, at: 73_000) == [clear(63_000)])
    }

    @Test func badInputOfANormalRuleIsUnknownAndStartsOverWhenGood() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 5_000)])
        #expect(p.feed("TEMP", 90, at: 0) == [])
        p.bad("TEMP")
        #expect(p.evaluate(at: 1_000) == [])
        #expect(p.state() == .unknown)
        #expect(!p.evaluator.isRaised(0))
        #expect(p.feed("TEMP", 90, at: 2_000) == [])
        #expect(p.state() == .pending)
        #expect(p.feed("TEMP", 90, at: 6_999) == [])
        #expect(p.feed("TEMP", 90, at: 7_000) == [raise(2_000)])
    }

    @Test func aFormulaFaultIsUnknown() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, condition: .expression("TEMP / W > 2"))])
        p.sample("W", 0, at: 0)
        #expect(p.feed("TEMP", 10, at: 0) == [])
        #expect(p.state() == .unknown)
        p.sample("W", 1, at: 1)
        #expect(p.feed("TEMP", 10, at: 1) == [raise(1)])
    }

    @Test func expressionsReadOtherDevicesPoints() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, condition: .expression("abs(TEMP - inverter2.TEMP) > 10"))])
        p.sample("inverter2.TEMP", 40, at: 0)
        #expect(p.feed("TEMP", 45, at: 0) == [])
        #expect(p.feed("TEMP", 51, at: 1) == [raise(1)])
    }

    @Test func rateOfChangeComparesConsecutiveSamples() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 0, condition: .rateOfChange(point: "W", perSecond: 100))])
        #expect(p.feed("W", 1_000, at: 0) == [])
        #expect(p.feed("W", 1_100, at: 1_000) == [], "100 per second is not beyond 100")
        #expect(p.feed("W", 900, at: 2_000) == [raise(2_000)], "a fall of 200 per second")
        #expect(p.evaluate(at: 2_500) == [], "no new sample: the condition stays")
        #expect(p.feed("W", 950, at: 3_000) == [clear(3_000)])
    }

    @Test func stateChangeIsMetAtTheSampleThatChanged() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 5_000, condition: .stateChange(point: "STATUS"))])
        #expect(p.feed("STATUS", 3, at: 0) == [], "the first value is no change")
        #expect(p.feed("STATUS", 3, at: 1_000) == [])
        #expect(p.feed("STATUS", 7, at: 2_000) == [raise(2_000)])
        #expect(p.feed("STATUS", 7, at: 3_000) == [])
        #expect(p.state() == .clearing)
        #expect(p.feed("STATUS", 7, at: 8_000) == [clear(3_000)])
    }

    @Test func staleDataIsMetWhenNoGoodSampleCameInTime() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0, offDelay: 0, condition: .stale(point: "HUM", afterMilliseconds: 60_000))])
        #expect(p.evaluate(at: 1_000) == [], "never seen: measured from the first look")
        #expect(p.evaluate(at: 61_001) == [raise(61_001)])
        #expect(p.feed("HUM", 40, at: 62_000) == [clear(62_000)])
        p.bad("HUM")
        #expect(p.evaluate(at: 122_000) == [], "bad samples do not refresh it, but stale is never unknown")
        #expect(p.evaluate(at: 122_001) == [raise(122_001)])
    }

    @Test func offlineDeviceRaises() throws {
        var p = try AlarmPlant([overTemperature(device: 1, onDelay: 30_000, offDelay: 0, condition: .offline)])
        #expect(p.evaluate(at: 0) == [])
        p.online[1] = false
        #expect(p.evaluate(at: 10_000) == [])
        #expect(p.evaluate(at: 40_000) == [raise(10_000)])
        p.online[1] = true
        #expect(p.evaluate(at: 41_000) == [clear(41_000)])
    }

    @Test func rulesAreIndependent() throws {
        var p = try AlarmPlant([overTemperature("a", onDelay: 0), overTemperature("b", onDelay: 0, condition: .high(point: "W", limit: 5, hysteresis: 0))])
        p.sample("W", 6, at: 0)
        #expect(p.feed("TEMP", 10, at: 0) == [raise(0, rule: 1)])
        #expect(p.state(0) == .normal)
    }
}
