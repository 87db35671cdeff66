import CloudLink
import EdgeAlarms
import EdgeCore
import RingLog
import Configuration
import StoreForward

/// The loop's side of `AlarmStation`: rules evaluated after each batch of samples (and derived
/// points), their raises and clears appended to the ring log right after the batch's samples.
extension AgentEventLoop where Device: ~Copyable, Uplink: ~Copyable, Poller: ~Copyable {
    /// After a batch of bus events (and the derived points it fed): evaluates the rules when due
    /// and appends each raise or clear to the ring log, after the samples before it, then syncs
    /// at once rather than at the next group commit (`syncIntervalMs`): a raise or clear is
    /// durable within one poll period plus its delay (issue 14), for one flash write per
    /// transition (rare by nature; the samples before it become durable with it).
    /// Then keeps each active alarm's raise in the log (`AlarmStation.keepActiveRaises`): a
    /// "still active" copy goes in before the log reclaims the raise's sector.
    mutating func evaluateAlarms() {
        guard alarms.isActive else { return }
        var appended = false
        alarms.evaluateAndStoreIfDue(wallNow: clock.wallNow().milliseconds, { bytes, time in
            let sequence = self.appendAlarmRecord(bytes, time: time)
            self.sayTransition(bytes)
            appended = true
            return sequence
        })
        alarms.keepActiveRaises(horizon: store.log.reclaimHorizon) { bytes, time in
            appended = true
            return self.appendAlarmRecord(bytes, time: time)
        }
        if appended { storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.sync() } }
    }

    mutating func appendAlarmRecord(_ bytes: UnsafeRawBufferPointer, time: WallTime) -> UInt64? {
        var sequence: UInt64? = nil
        storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in sequence = try s.appendAlarm(bytes, time: time) }
        return sequence
    }

    /// One line per raise or clear (events, not the steady state: the line may allocate).
    func sayTransition(_ bytes: UnsafeRawBufferPointer) {
        guard let view = try? AlarmRecordView(bytes), let r = alarms.rules.index(fingerprint: view.fingerprint, hint: view.ruleHint) else { return }
        let rules = alarms.rules
        let name = rules.string(rules.rules[r].identifier)
        let what = view.kind == .raise ? "raised" : "cleared"
        let level = rules.rules[r].level.name
        let levelName = String(decoding: UnsafeRawBufferPointer(start: level.utf8Start, count: level.utf8CodeUnitCount), as: UTF8.self)
        log.info("alarm \(name) \(what) (" + levelName + ", condition time \(view.timeMilliseconds) ms)")
    }

    /// Start-up, before the first poll: the alarms the ring log's records leave raised are active
    /// again (not raised twice; their clear carries the right time). All the records the log
    /// still holds are replayed, acknowledged ones too: a raise the cloud already confirmed keeps
    /// its alarm active. A raise whose sector the log has since reused (the log wrapped while the
    /// alarm stayed active) is found by its "still active" copy (`evaluateAlarms`).
    mutating func recoverAlarms() {
        guard alarms.isActive else { return }
        let station = alarms
        var failure: RingLogError? = nil
        let found = station.recover(sequenced: { apply in
            do throws(RingLogError) { try self.store.forEachRetainedRecord(apply) } catch { failure = error }
        })
        if let failure { log.error("alarms: reading the ring log to recover active alarms failed: " + failure.message) }
        if found.active > 0 || found.unmatched > 0 {
            log.info("alarms: \(found.active) active alarms recovered from the ring log"
                     + (found.unmatched > 0 ? " (\(found.unmatched) records name rules no longer configured)" : ""))
        }
    }

    /// The cloud refused an alarm's event for good: said once per code, the record is done.
    mutating func alarmRefused(tag: UInt64, code: Int) {
        if replyCodes.firstTime(code + 1_000_000) {
            log.error("cloud refused an alarm event with \(MeasurepointReplyCode.describe(code)) (is the event in the device's TSL model?); the alarm record is dropped (counted as rejected requests); said once per code")
        }
        storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.reject(tag: tag) }
    }
}
