import EdgeAlarms
import Testing

/// Each rule's last raise or clear in one buffer, a slot per rule sized to its captured values:
/// what the station remembers and the console shows.
@Suite struct AlarmRecordSlotsTests {
    /// Rule 0 captures TEMP; rule 1 captures TEMP and W (2 values); rule 2 captures none.
    static func rules(wideMessage: String = "Inverter temperature {TEMP} °C at {W} W") throws -> AlarmRuleSet {
        var wide = overTemperature("wide", onDelay: 0)
        wide.level = .minor
        wide.message = wideMessage
        wide.outputs = []
        let none = AlarmDefinition(identifier: "none", device: 0, condition: .high(point: "TEMP", limit: 1, hysteresis: 0),
                                   onDelayMilliseconds: 0, offDelayMilliseconds: 0, level: .info,
                                   message: "hot", eventId: "none", outputs: [])
        return try AlarmPlant.compile([overTemperature(onDelay: 0), wide, none])
    }

    static func record(_ rules: AlarmRuleSet, _ t: AlarmTransition, temp: Double = 91.5, w: Double = 2_000) -> [UInt8] {
        var p = try! AlarmPlant([])
        p.evaluator = AlarmEvaluator(rules: rules)
        p.sample("TEMP", temp, at: 0)
        p.sample("W", w, at: 0)
        var buffer = [UInt8](repeating: 0, count: AlarmRecord.maximumSize)
        let n = buffer.withUnsafeMutableBytes { b in p.withInputs { AlarmRecord.encode(t, rules: rules, inputs: $0, into: b) } }
        return Array(buffer[0..<n!])
    }

    @Test func eachRuleHasASlotOfItsRecordsSizeAndKeepsItsOwnLastRecord() throws {
        let rules = try Self.rules()
        let slots = AlarmRecordSlots(rules)
        #expect(slots.count == 3)
        #expect(slots.range(0).count == AlarmRecord.headerSize + AlarmRecord.valueSize)
        #expect(slots.range(1).count == AlarmRecord.headerSize + 2 * AlarmRecord.valueSize)
        #expect(slots.range(2).count == AlarmRecord.headerSize)
        #expect(slots.byteCount == 3 * AlarmRecord.headerSize + 3 * AlarmRecord.valueSize)
        #expect(slots.range(3).isEmpty && slots.range(-1).isEmpty)
        var buffer = [UInt8](repeating: 0, count: slots.byteCount)
        buffer.withUnsafeMutableBytes { b in
            for r in 0..<3 { #expect(slots.record(r, in: UnsafeRawBufferPointer(b)) == nil, "empty slot \(r)") }
            for (r, t) in [(0, raise(1_000, rule: 0)), (1, raise(2_000, rule: 1)), (2, clear(3_000, rule: 2)), (1, clear(4_000, rule: 1))] {
                let bytes = Self.record(rules, t)
                #expect(bytes.withUnsafeBytes { slots.store($0, rule: r, in: b) } == .asIs)
            }
            let all = UnsafeRawBufferPointer(b)
            let r0 = slots.record(0, in: all), r1 = slots.record(1, in: all), r2 = slots.record(2, in: all)
            #expect(r0?.kind == .raise && r0?.timeMilliseconds == 1_000 && r0?.value(0).value == 91.5)
            #expect(r1?.kind == .clear && r1?.timeMilliseconds == 4_000 && r1?.valueCount == 2 && r1?.value(1).value == 2_000)
            #expect(r2?.kind == .clear && r2?.timeMilliseconds == 3_000 && r2?.valueCount == 0)
            // Unknown rules and bytes that are no alarm record change nothing.
            let before = Array(b)
            let bytes = Self.record(rules, raise(9, rule: 0))
            #expect(bytes.withUnsafeBytes { slots.store($0, rule: 3, in: b) } == .refused)
            #expect([UInt8](repeating: 1, count: 7).withUnsafeBytes { slots.store($0, rule: 1, in: b) } == .refused)
            #expect(Array(b) == before)
        }
    }

    /// A configuration change gave the rule "wide" one captured value fewer: its raise in the log
    /// (two values) no longer fits the slot. The slot must take it (kind, time, level; values
    /// unknown) rather than keep the older record: the console would show the older one and no
    /// "still active" copy of the raise could be made.
    @Test func aRecordOfAnotherSizeIsStoredWithoutItsValuesInsteadOfKeepingTheOlderOne() throws {
        let before = try Self.rules()
        let after = try Self.rules(wideMessage: "Inverter temperature {TEMP} °C")
        #expect(before.rules[1].fingerprint == after.rules[1].fingerprint)
        let slots = AlarmRecordSlots(after)
        #expect(slots.range(1).count == AlarmRecord.headerSize + AlarmRecord.valueSize)
        var buffer = [UInt8](repeating: 0, count: slots.byteCount)
        let oldClear = Self.record(after, clear(1_000, rule: 1))
        let oldRaise = Self.record(before, raise(5_000, rule: 1), temp: 95, w: 3_000)
        #expect(oldRaise.count == AlarmRecord.headerSize + 2 * AlarmRecord.valueSize)
        buffer.withUnsafeMutableBytes { b in
            #expect(oldClear.withUnsafeBytes { slots.store($0, rule: 1, in: b) } == .asIs)
            #expect(oldRaise.withUnsafeBytes { slots.store($0, rule: 1, in: b) } == .withoutValues)
            let view = slots.record(1, in: UnsafeRawBufferPointer(b))
            #expect(view?.kind == .raise && view?.timeMilliseconds == 5_000 && view?.level == .minor)
            #expect(view?.fingerprint == after.rules[1].fingerprint && view?.ruleHint == 1)
            #expect(view?.valueCount == 1 && view?.value(0).good == false, "the old values are not the new captures'")
            // The slot holds a raise a "still active" copy can be made of.
            var copy = [UInt8](repeating: 0, count: AlarmRecord.maximumSize)
            let n = copy.withUnsafeMutableBytes { out in view.flatMap { AlarmRecord.restatement(of: $0, into: out) } }
            #expect(n == slots.range(1).count)
            // Its neighbours are untouched.
            #expect(slots.record(0, in: UnsafeRawBufferPointer(b)) == nil && slots.record(2, in: UnsafeRawBufferPointer(b)) == nil)
        }
        // A captured value more: the same, the new value unknown.
        let grown = AlarmRecordSlots(before)
        var wide = [UInt8](repeating: 0, count: grown.byteCount)
        let narrowRaise = Self.record(after, raise(6_000, rule: 1))
        wide.withUnsafeMutableBytes { b in
            #expect(narrowRaise.withUnsafeBytes { grown.store($0, rule: 1, in: b) } == .withoutValues)
            let view = grown.record(1, in: UnsafeRawBufferPointer(b))
            #expect(view?.kind == .raise && view?.timeMilliseconds == 6_000 && view?.valueCount == 2)
            #expect(view?.value(0).good == false && view?.value(1).good == false)
        }
    }
}
