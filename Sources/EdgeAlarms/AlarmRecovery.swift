/// Which alarms were raised when the agent stopped, found by replaying the alarm records of the
/// ring log in order (oldest first): a raise makes its rule's alarm active, a clear normal. Records
/// of rules no longer configured are counted and otherwise ignored. Then
/// `AlarmEvaluator.restore` continues from there: an alarm still active is not raised again, one
/// whose condition went away while the agent was down clears (stamped with the time the agent
/// saw it go away). Start-up only; sized at init, allocates nothing per record.
public struct AlarmRecovery {
    public let rules: AlarmRuleSet
    /// Per rule: the time the active alarm was raised, nil when not active.
    public private(set) var raisedAt: [Int64?]
    /// Records naming no configured rule.
    public private(set) var unmatchedRecords = 0
    /// Records that were not alarm records or did not read (`AlarmRecordError`).
    public private(set) var unreadableRecords = 0

    public init(rules: AlarmRuleSet) {
        self.rules = rules
        raisedAt = [Int64?](repeating: nil, count: rules.count)
    }

    /// Applies one stored record (raw bytes from the log). Bytes that are not an alarm record
    /// (sample records share the log) are skipped without counting; damaged ones are counted.
    public mutating func apply(bytes: UnsafeRawBufferPointer) {
        do throws(AlarmRecordError) {
            apply(try AlarmRecordView(bytes))
        } catch {
            if case .notAnAlarmRecord = error { return }
            unreadableRecords += 1
        }
    }

    /// Applies one decoded record.
    public mutating func apply(_ record: AlarmRecordView) {
        guard let r = rules.index(fingerprint: record.fingerprint, hint: record.ruleHint) else {
            unmatchedRecords += 1
            return
        }
        switch record.kind {
        case .raise: raisedAt[r] = record.timeMilliseconds
        case .clear: raisedAt[r] = nil
        }
    }

    /// Alarms found active.
    public var activeCount: Int { raisedAt.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
}
