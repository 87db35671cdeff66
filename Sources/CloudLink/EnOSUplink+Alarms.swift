import EdgeAlarms
import EnOS
import StoreForward

extension EnOSUplink where Transport: ~Copyable {
    /// Posts an alarm record as its rule's TSL event on the rule's device topic
    /// (`AlarmEventMessage`: `thing.event.{eventId}.post`, `time` = when the condition was met or
    /// went), QoS 1 under `tag`; the reply confirms it (`EnOSEventSink`). A record that can never
    /// be posted (unreadable, its rule gone, its device without a cloud identity, too large) is
    /// `.dropped`; a full window or a lost connection is `.notSent`. Allocates nothing.
    public mutating func sendAlarm(_ record: UnsafeRawBufferPointer, tag: UInt64) -> AlarmSendOutcome {
        guard gateway.canPublish else { return .notSent }
        let view: AlarmRecordView
        do throws(AlarmRecordError) { view = try AlarmRecordView(record) } catch { return .dropped }
        guard let r = alarmRules.index(fingerprint: view.fingerprint, hint: view.ruleHint) else { return .dropped }
        let device = Int(alarmRules.rules[r].device)
        guard hasCloudIdentity(device: device) else { return .dropped }
        let requestId = gateway.takeRequestId()
        let count: Int
        do throws(AlarmEventError) {
            count = try AlarmEventMessage.encode(view, rules: alarmRules, requestId: requestId, into: messageBuffer).count
        } catch { return .dropped }
        let sink = self.sink
        let payload = UnsafeRawBufferPointer(rebasing: messageBuffer[0..<count])
        let result = alarmRules.withBytes(alarmRules.rules[r].eventId) { eventId in
            gateway.postDeviceEvent(subDevice: sink.deviceToSub[device], eventId: eventId, requestId: requestId,
                                    payload: payload, tag: tag) { sink.on($0) }
        }
        switch result {
        case .sent: return .sent
        case .invalid: return .dropped
        default: return .notSent
        }
    }
}
