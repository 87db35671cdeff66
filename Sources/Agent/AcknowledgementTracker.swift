import EdgeCore

/// Maps requests in flight (by tag) to the ring-log sequence ranges they carry, and says how far
/// the ring log may be acknowledged: only over the contiguous prefix of confirmed ranges, so a
/// confirmed range beyond an unconfirmed one waits, and after a crash or a lost reply the
/// unconfirmed records are sent again (duplicates, never loss). Fixed capacity set at start-up;
/// nothing allocates afterwards.
public struct AcknowledgementTracker {
    public struct Range: Equatable, Sendable {
        public var tag: UInt32
        public var first: UInt64
        public var last: UInt64
        public var confirmed: Bool
        public var sentAt: MonotonicInstant
    }

    /// Ranges in flight or confirmed but not yet in the prefix, ordered by `first`.
    public private(set) var ranges: [Range]
    public let capacity: Int
    /// Everything up to here is confirmed (the ring log may be acknowledged up to it).
    public private(set) var committed: UInt64

    public init(capacity: Int, committed: UInt64) {
        self.capacity = max(capacity, 1)
        self.committed = committed
        ranges = []
        ranges.reserveCapacity(self.capacity)
    }

    public var isFull: Bool { ranges.count >= capacity }
    /// Ranges not yet confirmed.
    public var outstanding: Int {
        var n = 0
        for r in ranges where !r.confirmed { n += 1 }
        return n
    }

    /// Records that request `tag` carries sequences `first...last`; false when full or when the
    /// range overlaps one already tracked or the committed prefix (a programming error upstream).
    public mutating func add(tag: UInt32, first: UInt64, last: UInt64, now: MonotonicInstant) -> Bool {
        guard !isFull, first <= last, first > committed else { return false }
        var index = ranges.count
        for (i, r) in ranges.enumerated() {
            if first <= r.last && r.first <= last { return false }
            if first < r.first { index = i; break }
        }
        ranges.insert(Range(tag: tag, first: first, last: last, confirmed: false, sentAt: now), at: index)
        return true
    }

    /// Marks request `tag` as delivered; returns the new committed sequence if the prefix moved,
    /// nil otherwise (also for a tag not tracked, e.g. a late reply after a reset).
    public mutating func confirm(tag: UInt32) -> UInt64? {
        guard let i = ranges.firstIndex(where: { $0.tag == tag }) else { return nil }
        ranges[i].confirmed = true
        var moved = false
        while let r = ranges.first, r.confirmed, r.first == committed + 1 {
            committed = r.last
            ranges.removeFirst()
            moved = true
        }
        return moved ? committed : nil
    }

    /// True when `tag` is tracked.
    public func contains(tag: UInt32) -> Bool { ranges.contains(where: { $0.tag == tag }) }

    /// The tag of an unconfirmed request sent before `deadline`, if any.
    public func overdue(sentBefore deadline: MonotonicInstant) -> UInt32? {
        for r in ranges where !r.confirmed && r.sentAt < deadline { return r.tag }
        return nil
    }

    /// Forgets every range (the uplink went down, or a request failed): the records they carried
    /// will be sent again from `committed + 1`.
    public mutating func reset(committed: UInt64) {
        ranges.removeAll(keepingCapacity: true)
        self.committed = committed
    }
}
