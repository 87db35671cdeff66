import EdgeCore
import RingLog
import EdgeAlarms

/// What became of an alarm record handed to `MeasurepointUplink.sendAlarm`.
public enum AlarmSendOutcome: Equatable, Sendable {
    /// Sent under the tag: its reply confirms (or refuses) it like a measurepoint request.
    case sent
    /// Cannot go now (window full, not connected): the record stays where it is in the log.
    case notSent
    /// Can never be sent (its rule is no longer configured, its device has no cloud identity, the
    /// request cannot be encoded): the record is done, counted (`alarmRecordsDropped`).
    case dropped
}

extension MeasurepointUplink where Self: ~Copyable {
    /// Uplinks that do not post alarm events (tests that never record any) drop alarm records.
    public mutating func sendAlarm(_ record: UnsafeRawBufferPointer, tag: UInt64) -> AlarmSendOutcome { .dropped }
}

extension StoreAndForward where Device: ~Copyable {
    /// True when a stored record is an alarm record (`AlarmRecord`, first byte 0xA1) rather than
    /// a sample record (first byte 1 or 2).
    static func isAlarmRecord(_ payload: UnsafeRawBufferPointer) -> Bool {
        payload.count > 0 && payload[0] == AlarmRecord.marker
    }

    /// Appends an alarm record (`AlarmRecord.encode`) to the ring log after the samples recorded
    /// before it (the record being built is flushed first): durable at the same group commit as
    /// they are, sent in log order with them, live first (`recent` keeps it for the live path).
    /// A refused append (log full with `refuseAppends`) is counted in `alarmRecordsRefused`.
    /// Returns the record's sequence number, nil when the full log refused it. A "still active"
    /// copy (`AlarmRecord.restatement`) is appended the same way; the uplink skips it.
    @discardableResult
    public mutating func appendAlarm(_ bytes: UnsafeRawBufferPointer, time: WallTime) throws(RingLogError) -> UInt64? {
        try flushRecord()
        do {
            let sequence = try log.append(bytes, timestamp: time)
            stats.recordsAppended &+= 1
            stats.alarmRecordsAppended &+= 1
            if liveFrom != nil { recent.keep(sequence: sequence, bytes: bytes) }
            return sequence
        } catch {
            stats.alarmRecordsRefused &+= 1
            if error.kind == .full { return nil }
            throw error
        }
    }

    /// Sends the alarm record `fill` left in `readBuffer` (sequence `sequence`) as its own request:
    /// the tracker acknowledges it like a measurepoint request once the event's reply confirms it.
    /// False when it cannot go now (the cursor stays before it).
    mutating func sendAlarmRecord<Uplink: MeasurepointUplink & ~Copyable>(_ kind: BatchKind, _ uplink: inout Uplink,
                                                                         sequence: UInt64, length: Int,
                                                                         now: MonotonicInstant) throws(RingLogError) -> Bool {
        let tag = nextTag
        switch uplink.sendAlarm(UnsafeRawBufferPointer(rebasing: readBuffer[0..<length]), tag: tag) {
        case .notSent:
            return false
        case .sent:
            nextTag &+= 1
            guard tracker.add(tag: tag, first: sequence, last: sequence, now: now) else { return false }
            stats.requestsSent &+= 1
            stats.alarmEventsSent &+= 1
            if kind == .live { stats.liveRequests &+= 1 } else { stats.resumeRequests &+= 1 }
        case .dropped:
            nextTag &+= 1
            stats.alarmRecordsDropped &+= 1
            guard tracker.add(tag: tag, first: sequence, last: sequence, now: now) else { return false }
            if let upTo = tracker.confirm(tag: tag) { try acknowledge(upTo: upTo) }
        }
        if kind == .live { liveCursor = RingLogCursor(from: sequence + 1) } else {
            resumeCursor = RingLogCursor(from: sequence + 1)
            resumeTokens -= 1
        }
        return true
    }

    /// Calls `body` with each unacknowledged record of the log, oldest first. Reads with the
    /// store's buffer; allocates nothing itself.
    public mutating func forEachUnacknowledged(_ body: (UnsafeRawBufferPointer) -> Void) throws(RingLogError) {
        try forEachRecord(from: log.acknowledgedSequence + 1) { _, bytes in body(bytes) }
    }

    /// Calls `body` with each record the log still holds, acknowledged or not, oldest first
    /// (start-up: alarm recovery, where a raise the cloud already confirmed still makes its alarm
    /// active). Reads with the store's buffer; allocates nothing itself.
    public mutating func forEachRetained(_ body: (UnsafeRawBufferPointer) -> Void) throws(RingLogError) {
        try forEachRecord(from: log.oldestSequence) { _, bytes in body(bytes) }
    }

    /// `forEachRetained` with each record's sequence number.
    public mutating func forEachRetainedRecord(_ body: (UInt64, UnsafeRawBufferPointer) -> Void) throws(RingLogError) {
        try forEachRecord(from: log.oldestSequence, body)
    }

    mutating func forEachRecord(from sequence: UInt64, _ body: (UInt64, UnsafeRawBufferPointer) -> Void) throws(RingLogError) {
        var cursor = RingLogCursor(from: sequence)
        while let read = try log.read(&cursor, into: readBuffer) {
            body(read.sequence, UnsafeRawBufferPointer(rebasing: readBuffer[0..<read.length]))
        }
    }
}
