import EdgeCore

/// Maps requests in flight (by tag) to the ring-log sequence ranges they carry, and says how far
/// the ring log may be acknowledged: only over the contiguous prefix of confirmed ranges, so a
/// confirmed range beyond an unconfirmed one waits, and after a crash or a lost reply the
/// unconfirmed records are sent again (duplicates, never loss). Fixed capacity set at start-up
/// (slots preallocated and shifted in place); nothing allocates afterwards.
public struct AcknowledgementTracker {
    public struct Range: Equatable, Sendable {
        public var tag: UInt64
        public var first: UInt64
        public var last: UInt64
        public var confirmed: Bool
        public var sentAt: MonotonicInstant
    }

    /// Slots; the first `count` hold the ranges in flight or confirmed but not yet in the prefix,
    /// ordered by `first`.
    var slots: [Range]
    /// Ranges tracked.
    public private(set) var count = 0
    /// Everything up to here is confirmed (the ring log may be acknowledged up to it).
    public private(set) var committed: UInt64

    public init(capacity: Int, committed: UInt64) {
        self.committed = committed
        slots = [Range](repeating: Range(tag: 0, first: 0, last: 0, confirmed: false, sentAt: MonotonicInstant(nanoseconds: 0)),
                        count: max(capacity, 1))
    }

    public var capacity: Int { slots.count }
    public var isFull: Bool { count >= slots.count }

    /// The tracked ranges, in sequence order (allocates: for tests and diagnostics).
    public var ranges: [Range] { Array(slots[0..<count]) }

    /// Ranges not yet confirmed.
    public var outstanding: Int {
        var n = 0
        var i = 0
        while i < count {
            if !slots[i].confirmed { n += 1 }
            i += 1
        }
        return n
    }

    /// Records that request `tag` carries sequences `first...last`; false when full or when the
    /// range overlaps one already tracked or the committed prefix (a programming error upstream).
    public mutating func add(tag: UInt64, first: UInt64, last: UInt64, now: MonotonicInstant) -> Bool {
        guard !isFull, first <= last, first > committed else { return false }
        var index = count
        var i = 0
        while i < count {
            if first <= slots[i].last && slots[i].first <= last { return false }
            if first < slots[i].first { index = i; break }
            i += 1
        }
        var j = count
        while j > index {
            slots[j] = slots[j - 1]
            j -= 1
        }
        slots[index] = Range(tag: tag, first: first, last: last, confirmed: false, sentAt: now)
        count += 1
        return true
    }

    /// Marks request `tag` as delivered; returns the new committed sequence if the prefix moved,
    /// nil otherwise (also for a tag not tracked, e.g. a late reply after a reset).
    public mutating func confirm(tag: UInt64) -> UInt64? {
        guard var i = index(of: tag) else { return nil }
        slots[i].confirmed = true
        // Confirmed neighbours become one range: while an older range (a paced backlog, say)
        // holds the prefix back, the confirmed ranges after it take one slot, not one each, so
        // they cannot fill the tracker and stop all sending (they did: live at 5,000 points/s
        // stalled for good behind a 2,000 samples/s resume).
        if i + 1 < count && slots[i + 1].confirmed && slots[i].last &+ 1 == slots[i + 1].first {
            slots[i].last = slots[i + 1].last
            remove(at: i + 1)
        }
        if i > 0 && slots[i - 1].confirmed && slots[i - 1].last &+ 1 == slots[i].first {
            slots[i - 1].last = slots[i].last
            remove(at: i)
            i -= 1
        }
        var done = 0
        while done < count && slots[done].confirmed && slots[done].first == committed + 1 {
            committed = slots[done].last
            done += 1
        }
        guard done > 0 else { return nil }
        var k = 0
        while k + done < count {
            slots[k] = slots[k + done]
            k += 1
        }
        count -= done
        return committed
    }

    mutating func remove(at index: Int) {
        var k = index
        while k + 1 < count {
            slots[k] = slots[k + 1]
            k += 1
        }
        count -= 1
    }

    /// True when `tag` is tracked.
    public func contains(tag: UInt64) -> Bool { index(of: tag) != nil }

    func index(of tag: UInt64) -> Int? {
        var i = 0
        while i < count {
            if slots[i].tag == tag { return i }
            i += 1
        }
        return nil
    }

    /// The tag of an unconfirmed request sent before `deadline`, if any.
    public func overdue(sentBefore deadline: MonotonicInstant) -> UInt64? {
        var i = 0
        while i < count {
            if !slots[i].confirmed && slots[i].sentAt < deadline { return slots[i].tag }
            i += 1
        }
        return nil
    }

    /// When the oldest unconfirmed request was sent (nil: none in flight): its reply deadline is
    /// the next time the sender has to look at the window by itself.
    public var oldestUnconfirmedSentAt: MonotonicInstant? {
        var oldest: MonotonicInstant? = nil
        var i = 0
        while i < count {
            if !slots[i].confirmed, oldest == nil || slots[i].sentAt < oldest! { oldest = slots[i].sentAt }
            i += 1
        }
        return oldest
    }

    /// Forgets every range (the uplink went down, or a request failed): the records they carried
    /// will be sent again from `committed + 1`.
    public mutating func reset(committed: UInt64) {
        count = 0
        self.committed = committed
    }
}
