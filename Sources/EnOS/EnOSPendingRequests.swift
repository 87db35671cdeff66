import EdgeCore

/// Our requests waiting for the cloud's `_reply` (or, on a plain broker, for PUBACK): id → kind,
/// the caller's tag (the agent's ring-log sequence range, opaque here), deadline. Fixed capacity
/// allocated once; lookups are linear (the window is small); never allocates afterwards.
public struct EnOSPendingRequests: ~Copyable {
    /// One outstanding request.
    public struct Entry: Equatable, Sendable {
        public var id: UInt32
        public var kind: EnOSRequestKind
        public var tag: UInt64
        public var deadline: MonotonicInstant
        /// The MQTT packet id of its QoS 1 PUBLISH (0 for QoS 0).
        public var packetId: UInt16
        /// The sub-device concerned (login/logout), or -1.
        public var subDevice: Int32
        /// True if the caller asked for it (the caller hears of its reply); false for the
        /// gateway's own housekeeping (logins, state posts, inform).
        public var reported: Bool

        public init(id: UInt32, kind: EnOSRequestKind, tag: UInt64, deadline: MonotonicInstant,
                    packetId: UInt16 = 0, subDevice: Int32 = -1, reported: Bool = true) {
            self.id = id
            self.kind = kind
            self.tag = tag
            self.deadline = deadline
            self.packetId = packetId
            self.subDevice = subDevice
            self.reported = reported
        }
    }

    let slots: UnsafeMutableBufferPointer<Entry>
    let used: UnsafeMutableBufferPointer<Bool>
    public private(set) var count = 0
    public var capacity: Int { slots.count }
    public var isFull: Bool { count == slots.count }

    public init(capacity: Int) {
        precondition(capacity >= 1, "EnOSPendingRequests: capacity below 1")
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Entry(id: 0, kind: .measurepointPost, tag: 0, deadline: MonotonicInstant(nanoseconds: 0)))
        used = .allocate(capacity: capacity)
        used.initialize(repeating: false)
    }

    deinit {
        slots.deallocate()
        used.deallocate()
    }

    /// Adds an entry; false if full.
    public mutating func insert(_ entry: Entry) -> Bool {
        for i in 0..<slots.count where !used[i] {
            slots[i] = entry
            used[i] = true
            count += 1
            return true
        }
        return false
    }

    /// Removes and returns the entry with `id` (and, if given, of that kind).
    public mutating func remove(id: UInt32, kind: EnOSRequestKind? = nil) -> Entry? {
        for i in 0..<slots.count where used[i] && slots[i].id == id {
            if let kind, slots[i].kind != kind { continue }
            used[i] = false
            count -= 1
            return slots[i]
        }
        return nil
    }

    /// Removes and returns the entry waiting for PUBACK `packetId`.
    public mutating func remove(packetId: UInt16) -> Entry? {
        guard packetId != 0 else { return nil }
        for i in 0..<slots.count where used[i] && slots[i].packetId == packetId {
            used[i] = false
            count -= 1
            return slots[i]
        }
        return nil
    }

    /// Removes and returns one entry whose deadline is at or before `now`.
    public mutating func removeExpired(now: MonotonicInstant) -> Entry? {
        for i in 0..<slots.count where used[i] && slots[i].deadline <= now {
            used[i] = false
            count -= 1
            return slots[i]
        }
        return nil
    }

    /// Removes and returns any entry (to drain the table, e.g. on connection loss).
    public mutating func removeAny() -> Entry? {
        for i in 0..<slots.count where used[i] {
            used[i] = false
            count -= 1
            return slots[i]
        }
        return nil
    }

    /// Sets the packet id of the entry with `id` (known only once the publish is stored).
    public mutating func setPacketId(_ packetId: UInt16, forId id: UInt32) {
        for i in 0..<slots.count where used[i] && slots[i].id == id {
            slots[i].packetId = packetId
            return
        }
    }

    /// The earliest deadline, or nil if empty.
    public var nextDeadline: MonotonicInstant? {
        var best: MonotonicInstant? = nil
        for i in 0..<slots.count where used[i] {
            if best == nil || slots[i].deadline < best! { best = slots[i].deadline }
        }
        return best
    }

    /// Entries of `kind` outstanding.
    public func count(of kind: EnOSRequestKind) -> Int {
        var n = 0
        for i in 0..<slots.count where used[i] && slots[i].kind == kind { n += 1 }
        return n
    }
}
