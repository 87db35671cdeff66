import EdgeAlarms
import Testing

/// The ring-log form of raises and clears: round trips and refused input, never a trap.
@Suite struct AlarmRecordTests {
    static func encoded(_ p: AlarmPlant, _ t: AlarmTransition) -> [UInt8] {
        var buffer = [UInt8](repeating: 0xEE, count: AlarmRecord.maximumSize)
        let n = buffer.withUnsafeMutableBytes { b in p.withInputs { AlarmRecord.encode(t, rules: p.evaluator.rules, inputs: $0, into: b) } }
        return Array(buffer[0..<(n ?? 0)])
    }

    @Test func aRaiseRoundTripsWithItsCapturedValues() throws {
        var p = try AlarmPlant([overTemperature("x"), overTemperature(onDelay: 0)])
        _ = p.feed("TEMP", 91.25, at: 1_700_000_000_123)
        let bytes = AlarmRecordTests.encoded(p, raise(1_700_000_000_000, rule: 1))
        #expect(bytes.count == AlarmRecord.headerSize + AlarmRecord.valueSize)
        try bytes.withUnsafeBytes { raw in
            let r = try AlarmRecordView(raw)
            #expect(r.kind == .raise)
            #expect(r.level == .major)
            #expect(r.ruleHint == 1)
            #expect(r.fingerprint == p.evaluator.rules.rules[1].fingerprint)
            #expect(r.timeMilliseconds == 1_700_000_000_000)
            #expect(r.valueCount == 1)
            #expect(r.value(0).value == 91.25 && r.value(0).good)
            #expect(r.value(1).good == false, "beyond the count: nothing")
        }
    }

    @Test func aStillActiveCopyReadsAsItsRaiseAndRecoversIt() throws {
        var p = try AlarmPlant([overTemperature("x"), overTemperature(onDelay: 0)])
        _ = p.feed("TEMP", 91.25, at: 1_700_000_000_123)
        let raiseBytes = AlarmRecordTests.encoded(p, raise(1_700_000_000_000, rule: 1))
        var copy = [UInt8](repeating: 0, count: AlarmRecord.maximumSize)
        let n = try raiseBytes.withUnsafeBytes { raw in
            try copy.withUnsafeMutableBytes { out in AlarmRecord.restatement(of: try AlarmRecordView(raw), into: out) }
        }
        #expect(n == raiseBytes.count)
        let stored = Array(copy[0..<(n ?? 0)])
        #expect(stored[1] == AlarmRecord.stillActiveKind && Array(stored[2...]) == Array(raiseBytes[2...]))
        try stored.withUnsafeBytes { raw in
            #expect(AlarmRecord.isStillActive(raw))
            let r = try AlarmRecordView(raw)
            #expect(r.kind == .raise && r.isStillActive && r.timeMilliseconds == 1_700_000_000_000)
            #expect(r.value(0).value == 91.25)
            // Recovery takes it as the raise; a copy of a clear is not made.
            var recovery = AlarmRecovery(rules: p.evaluator.rules)
            recovery.apply(bytes: raw)
            #expect(recovery.raisedAt[1] == 1_700_000_000_000 && recovery.activeCount == 1)
        }
        let clearBytes = AlarmRecordTests.encoded(p, clear(5, rule: 1))
        let none = try clearBytes.withUnsafeBytes { raw in
            try copy.withUnsafeMutableBytes { out in AlarmRecord.restatement(of: try AlarmRecordView(raw), into: out) }
        }
        #expect(none == nil)
        try raiseBytes.withUnsafeBytes { raw in
            let r = try AlarmRecordView(raw)
            #expect(!AlarmRecord.isStillActive(raw) && !r.isStillActive)
        }
    }

    @Test func aBadValueIsRecordedBad() throws {
        var p = try AlarmPlant([overTemperature()])
        p.bad("TEMP")
        let bytes = AlarmRecordTests.encoded(p, clear(5))
        try bytes.withUnsafeBytes { raw in
            let r = try AlarmRecordView(raw)
            #expect(r.kind == .clear)
            #expect(!r.value(0).good)
        }
    }

    @Test func encodingRefusesASmallBufferAndAnUnknownRule() throws {
        let p = try AlarmPlant([overTemperature()])
        var small = [UInt8](repeating: 0, count: AlarmRecord.headerSize + AlarmRecord.valueSize - 1)
        let n = small.withUnsafeMutableBytes { b in p.withInputs { AlarmRecord.encode(raise(0), rules: p.evaluator.rules, inputs: $0, into: b) } }
        #expect(n == nil)
        #expect(AlarmRecordTests.encoded(p, raise(0, rule: 1)).isEmpty)
        #expect(AlarmRecordTests.encoded(p, raise(0, rule: -1)).isEmpty)
    }

    @Test func everyCutIsTruncatedAndExtraBytesAreRefused() throws {
        let p = try AlarmPlant([overTemperature()])
        let bytes = AlarmRecordTests.encoded(p, raise(42))
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[0..<cut])
            #expect(throws: AlarmRecordError.truncated(offset: cut)) {
                try prefix.withUnsafeBytes { raw in _ = try AlarmRecordView(raw) }
            }
        }
        let longer = bytes + [0]
        #expect(throws: AlarmRecordError.trailingBytes(offset: bytes.count)) {
            try longer.withUnsafeBytes { raw in _ = try AlarmRecordView(raw) }
        }
    }

    @Test func malformedFieldsAreNamed() throws {
        let p = try AlarmPlant([overTemperature()])
        let good = AlarmRecordTests.encoded(p, raise(42))
        func check(_ index: Int, _ byte: UInt8, _ expected: AlarmRecordError) {
            var b = good
            b[index] = byte
            #expect(throws: expected) {
                try b.withUnsafeBytes { raw in _ = try AlarmRecordView(raw) }
            }
        }
        check(0, 2, .notAnAlarmRecord(2))  // a sample record's version byte
        check(1, 4, .badKind(4))  // 3 is a "still active" copy
        check(2, 0, .badLevel(0))
        check(3, 9, .tooManyValues(9))
        check(3, 2, .truncated(offset: good.count))
        check(AlarmRecord.headerSize + 8, 2, .badQuality(offset: AlarmRecord.headerSize + 8))
    }
}
