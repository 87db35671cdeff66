/// Where each rule's last record goes in a buffer that holds one record per rule, each slot
/// exactly as large as that rule's records (`AlarmRecord.headerSize` + its captured values), not
/// `AlarmRecord.maximumSize`: the agent's memory of each rule's last raise or clear, and the
/// console's copy of it. An empty slot starts with 0 (no record marker). Built at load; the
/// offsets are shared by every copy (an immutable array).
public struct AlarmRecordSlots: Sendable {
    /// Slot `r` is `offsets[r] ..< offsets[r + 1]`.
    public let offsets: [UInt32]

    public init(_ rules: AlarmRuleSet) {
        var offsets = [UInt32]()
        offsets.reserveCapacity(rules.count + 1)
        var at = 0
        offsets.append(0)
        for rule in rules.rules {
            at += AlarmRecord.headerSize + Int(rule.captureCount) * AlarmRecord.valueSize
            offsets.append(UInt32(truncatingIfNeeded: at))
        }
        self.offsets = offsets
    }

    /// Rules with a slot.
    public var count: Int { offsets.count - 1 }

    /// Bytes of a buffer holding every slot.
    public var byteCount: Int { Int(offsets[offsets.count - 1]) }

    /// The byte range of rule `r`'s slot (empty for an unknown rule).
    public func range(_ r: Int) -> Range<Int> {
        guard r >= 0, r < count else { return 0..<0 }
        return Int(offsets[r])..<Int(offsets[r + 1])
    }

    /// What `store` did with a record.
    public enum Stored: Equatable, Sendable {
        /// Copied as it is (the rule's layout).
        case asIs
        /// Of another size (written before a configuration change altered the rule's captured
        /// values): its kind, level, rule and time are kept, with the slot's number of values,
        /// each marked bad (shown as n/a).
        case withoutValues
        /// Not stored, the slot left as it was: not an alarm record, an unknown rule, or a
        /// buffer too small for the slots.
        case refused
    }

    /// Stores `record` (one of rule `r`'s) in its slot. A record of the rule's current layout is
    /// copied; one of another size (a raise or clear written before a configuration change
    /// altered the rule's captured values, read back by recovery) is stored without its values:
    /// which points they were is not in the record, so none of them is shown under the new
    /// captures, but the slot still says what happened last and when (the console, "still
    /// active" copies) instead of keeping an older record. Allocates nothing.
    @discardableResult
    public func store(_ record: UnsafeRawBufferPointer, rule r: Int, in buffer: UnsafeMutableRawBufferPointer) -> Stored {
        let slot = range(r)
        guard !slot.isEmpty, slot.upperBound <= buffer.count else { return .refused }
        let to = UnsafeMutableRawBufferPointer(rebasing: buffer[slot])
        if record.count == slot.count {
            to.copyMemory(from: record)
            return .asIs
        }
        guard let view = try? AlarmRecordView(record),
              AlarmRecord.withoutValues(of: view, count: (slot.count - AlarmRecord.headerSize) / AlarmRecord.valueSize,
                                        into: to) != nil else { return .refused }
        return .withoutValues
    }

    /// Rule `r`'s record in `buffer`, nil when its slot is empty or does not read.
    public func record(_ r: Int, in buffer: UnsafeRawBufferPointer) -> AlarmRecordView? {
        let slot = range(r)
        guard !slot.isEmpty, slot.upperBound <= buffer.count, buffer[slot.lowerBound] == AlarmRecord.marker else { return nil }
        return try? AlarmRecordView(UnsafeRawBufferPointer(rebasing: buffer[slot]))
    }
}
