import EdgeCore
import EnOS

/// Why an alarm record could not be turned into an EnOS event.
public enum AlarmEventError: Error, Equatable, Sendable {
    /// The record names a rule the configuration no longer has.
    case unknownRule(fingerprint: UInt32)
    /// The buffer is too small for the message.
    case bufferFull
}

/// The EnOS message of a raise or a clear: `thing.event.{eventId}.post` (protocol reference §5.5)
/// on the device's topic, `params` `{"events":{outputs},"time":ms}` where `time` is the time the
/// record carries (when the condition was met, or stopped being met), not the time of sending.
/// The outputs are the rule's: point values as recorded (bad ones are left out, as bad samples
/// are from measurepoint posts), the rendered message, the level's name, the state (1 raise,
/// 0 clear) and the rule's identifier. Pure; allocates nothing.
public enum AlarmEventMessage {
    /// Writes the request into `buffer`; its byte count and the rule's index (for the topic:
    /// `EnOSTopic.request(.eventPost, …, eventId:)` with the rule's event id and device).
    public static func encode(_ record: AlarmRecordView, rules: AlarmRuleSet, requestId: UInt32,
                              into buffer: UnsafeMutableRawBufferPointer) throws(AlarmEventError) -> (count: Int, rule: Int) {
        guard let r = rules.index(fingerprint: record.fingerprint, hint: record.ruleHint) else {
            throw .unknownRule(fingerprint: record.fingerprint)
        }
        let rule = rules.rules[r]
        var w = JSONWriter(buffer: buffer)
        var failed = false
        rules.withBytes(rule.eventId) { eventId in
            do throws(JSONWriterError) {
                try beginRequest(&w, id: requestId, eventId: eventId)
                try w.key("params")
                try w.beginObject()
                try w.key("events")
                try w.beginObject()
                try writeOutputs(rule, rules, record, &w)
                try w.endObject()
                try w.key("time")
                try w.value(record.timeMilliseconds)
                try w.endObject()
                try w.endObject()
            } catch {
                failed = true
            }
        }
        if failed { throw .bufferFull }
        return (w.count, r)
    }

    /// `{"id":"<id>","version":"1.0","method":"thing.event.<eventId>.post"`, the method assembled
    /// on the stack (`EnOSRequestEncoder.beginRequest` takes the event id as a String).
    static func beginRequest(_ w: inout JSONWriter, id: UInt32, eventId: UnsafeRawBufferPointer) throws(JSONWriterError) {
        try w.beginObject()
        try w.key("id")
        try EnOSRequestEncoder.writeId(&w, id)
        try w.key("version")
        try w.value("1.0")
        try w.key("method")
        let head: StaticString = "thing.event.", tail: StaticString = ".post"
        var failure: JSONWriterError? = nil
        withUnsafeTemporaryAllocation(byteCount: 12 + AlarmText.maximumLength + 5, alignment: 1) { scratch in
            var n = AlarmMessage.append(head, scratch, 0)
            for b in eventId where n < scratch.count { scratch[n] = b; n += 1 }
            n = AlarmMessage.append(tail, scratch, n)
            do throws(JSONWriterError) {
                try w.value(bytes: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    static func writeOutputs(_ rule: AlarmRule, _ rules: AlarmRuleSet, _ record: AlarmRecordView,
                             _ w: inout JSONWriter) throws(JSONWriterError) {
        for k in 0..<Int(rule.outputCount) {
            let o = Int(rule.outputStart) + k
            guard o < rules.outputs.count else { return }
            let output = rules.outputs[o]
            if output.source == .point {
                let (value, good) = record.value(Int(output.capture))
                guard good, value.isFinite else { continue }
            }
            try write(output.identifier, rules, &w, key: true)
            switch output.source {
            case .point: try w.value(record.value(Int(output.capture)).value)
            case .level: try w.value(rule.level.name)
            case .state: try w.value(Int64(record.kind == .raise ? 1 : 0))
            case .rule: try write(rule.identifier, rules, &w, key: false)
            case .message:
                var failure: JSONWriterError? = nil
                withUnsafeTemporaryAllocation(byteCount: AlarmMessage.maximumBytes, alignment: 1) { scratch in
                    let n = AlarmMessage.render(rule: rule, rules: rules, record: record, into: scratch)
                    do throws(JSONWriterError) {
                        try w.value(bytes: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                    } catch {
                        failure = error
                    }
                }
                if let failure { throw failure }
            }
        }
    }

    /// Writes a text of the set as a key or a string value.
    static func write(_ text: AlarmText, _ rules: AlarmRuleSet, _ w: inout JSONWriter, key: Bool) throws(JSONWriterError) {
        var failure: JSONWriterError? = nil
        rules.withBytes(text) { bytes in
            do throws(JSONWriterError) {
                if key { try w.key(bytes: bytes) } else { try w.value(bytes: bytes) }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }
}
