import EdgeAlarms
import EdgeCore
import EnOS
import Testing

/// `thing.event.{eventId}.post` for a raise or clear, from its record.
@Suite struct AlarmEventMessageTests {
    static func message(_ p: AlarmPlant, _ t: AlarmTransition, size: Int = 1024) throws -> String {
        let record = AlarmRecordTests.encoded(p, t)
        var buffer = [UInt8](repeating: 0, count: size)
        let n = try record.withUnsafeBytes { raw throws -> Int in
            let view: AlarmRecordView
            do throws(AlarmRecordError) { view = try AlarmRecordView(raw) } catch { Issue.record("\(error)"); return 0 }
            return try buffer.withUnsafeMutableBytes { b throws in
                try AlarmEventMessage.encode(view, rules: p.evaluator.rules, requestId: 7, into: b).count
            }
        }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    @Test func aRaiseIsTheEventWithItsOutputsAndTheTimeTheConditionWasMet() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0)])
        _ = p.feed("TEMP", 91.5, at: 1_700_000_005_000)
        #expect(try AlarmEventMessageTests.message(p, raise(1_700_000_000_000)) ==
            #"{"id":"7","version":"1.0","method":"thing.event.overTemp.post","params":{"events":{"temp":91.5,"desc":"Inverter temperature 91.5 °C","level":"major","state":1},"time":1700000000000}}"#)
    }

    @Test func aClearWithABadValueLeavesThePointOutAndSaysSoInTheMessage() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0)])
        p.bad("TEMP")
        #expect(try AlarmEventMessageTests.message(p, clear(1_000)) ==
            #"{"id":"7","version":"1.0","method":"thing.event.overTemp.post","params":{"events":{"desc":"Inverter temperature n/a °C","level":"major","state":0},"time":1000}}"#)
    }

    @Test func theRuleIdentifierCanBeAnOutput() throws {
        var d = overTemperature("inv1-overtemp")
        d.outputs = [AlarmOutputDefinition("rule", .rule)]
        let p = try AlarmPlant([d])
        #expect(try AlarmEventMessageTests.message(p, raise(1)).contains(#""events":{"rule":"inv1-overtemp"}"#))
    }

    @Test func aRecordOfAnUnconfiguredRuleIsRefused() throws {
        let old = try AlarmPlant([overTemperature("old")])
        let record = AlarmRecordTests.encoded(old, raise(1))
        let now = try AlarmPlant.compile([overTemperature("new")])
        var buffer = [UInt8](repeating: 0, count: 512)
        #expect(throws: AlarmEventError.unknownRule(fingerprint: old.evaluator.rules.rules[0].fingerprint)) {
            try record.withUnsafeBytes { raw throws in
                let view = try! AlarmRecordView(raw)
                _ = try buffer.withUnsafeMutableBytes { b throws in try AlarmEventMessage.encode(view, rules: now, requestId: 1, into: b) }
            }
        }
    }

    @Test func everyTooSmallBufferIsRefusedNotOverrun() throws {
        var p = try AlarmPlant([overTemperature(onDelay: 0)])
        _ = p.feed("TEMP", 91.5, at: 0)
        let full = try AlarmEventMessageTests.message(p, raise(0))
        for size in 0..<full.utf8.count {
            #expect(throws: AlarmEventError.bufferFull) { _ = try AlarmEventMessageTests.message(p, raise(0), size: size) }
        }
    }

    @Test func theTopicIsTheDevicesEventTopic() {
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { EnOSTopic.request(.eventPost, productKey: "pk", deviceKey: "inv1", eventId: "overTemp", into: $0) }
        #expect(String(decoding: buffer[0..<(n ?? 0)], as: UTF8.self) == "/sys/pk/inv1/thing/event/overTemp/post")
    }
}
