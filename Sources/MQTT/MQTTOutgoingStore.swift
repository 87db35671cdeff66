/// The QoS 1 messages not yet acknowledged by the broker, in publish order, each kept as its
/// encoded PUBLISH packet. Capacity in bytes and in messages is fixed at start-up: storing
/// allocates nothing, and a full store refuses (the caller sees backpressure).
///
/// Bytes live in a ring: each packet is contiguous (a packet that does not fit before the end
/// starts again at 0). Messages leave only from the front, once acknowledged, so order holds
/// even if acknowledgements arrive out of order.
public struct MQTTOutgoingStore: ~Copyable {
    struct Entry {
        var offset: Int
        var length: Int
        var packetId: UInt16
        var acknowledged: Bool
        var sentBefore: Bool
    }

    let bytes: UnsafeMutableRawBufferPointer
    let entries: UnsafeMutableBufferPointer<Entry>
    var head = 0
    public private(set) var count = 0
    var byteHead = 0
    var byteTail = 0

    /// Room for `messageCapacity` messages using `byteCapacity` bytes of encoded packets.
    public init(byteCapacity: Int, messageCapacity: Int) {
        precondition(byteCapacity > 0 && messageCapacity > 0, "MQTTOutgoingStore: empty capacity")
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCapacity, alignment: 8)
        entries = UnsafeMutableBufferPointer<Entry>.allocate(capacity: messageCapacity)
        entries.initialize(repeating: Entry(offset: 0, length: 0, packetId: 0, acknowledged: false, sentBefore: false))
    }

    deinit {
        bytes.deallocate()
        entries.deallocate()
    }

    public var messageCapacity: Int { entries.count }
    public var byteCapacity: Int { bytes.count }
    public var isEmpty: Bool { count == 0 }

    /// Contiguous free bytes for a packet of `length`, or nil if the store is full.
    public func reserve(_ length: Int) -> UnsafeMutableRawBufferPointer? {
        guard length > 0, count < entries.count else { return nil }
        guard let offset = freeOffset(for: length) else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    func freeOffset(for length: Int) -> Int? {
        if count == 0 { return length <= bytes.count ? 0 : nil }
        if byteHead < byteTail {
            if bytes.count - byteTail >= length { return byteTail }
            if byteHead >= length { return 0 }
            return nil
        }
        return byteHead - byteTail >= length ? byteTail : nil
    }

    /// Forgets every message (acknowledged or not).
    public mutating func removeAll() {
        head = 0
        count = 0
        byteHead = 0
        byteTail = 0
    }

    /// Adds the packet just written into `reserve(length)`.
    public mutating func commit(length: Int, packetId: UInt16) {
        guard let offset = freeOffset(for: length), count < entries.count else {
            preconditionFailure("MQTTOutgoingStore.commit without reserve")
        }
        entries[(head + count) % entries.count] = Entry(offset: offset, length: length, packetId: packetId,
                                                         acknowledged: false, sentBefore: false)
        count += 1
        byteTail = offset + length
    }

    /// The index-th message from the front: its packet id and encoded bytes.
    public func packet(at index: Int) -> (packetId: UInt16, bytes: UnsafeMutableRawBufferPointer) {
        let e = entries[(head + index) % entries.count]
        return (e.packetId, UnsafeMutableRawBufferPointer(rebasing: bytes[e.offset..<(e.offset + e.length)]))
    }

    func isAcknowledged(at index: Int) -> Bool { entries[(head + index) % entries.count].acknowledged }

    /// Marks a message as sent; returns true if it had been sent before (a resend: set DUP).
    mutating func markSent(at index: Int) -> Bool {
        let i = (head + index) % entries.count
        defer { entries[i].sentBefore = true }
        return entries[i].sentBefore
    }

    /// True if a message with this packet id is stored.
    public func contains(packetId: UInt16) -> Bool {
        for k in 0..<count where entries[(head + k) % entries.count].packetId == packetId { return true }
        return false
    }

    /// Marks the message acknowledged and frees every acknowledged message at the front.
    /// Returns the index the message had, or nil if no unacknowledged message has this id; and
    /// how many messages left the front.
    public mutating func acknowledge(packetId: UInt16) -> (index: Int, removed: Int)? {
        var found: Int? = nil
        for k in 0..<count {
            let i = (head + k) % entries.count
            if entries[i].packetId == packetId && !entries[i].acknowledged {
                entries[i].acknowledged = true
                found = k
                break
            }
        }
        guard let index = found else { return nil }
        var removed = 0
        while count > 0 && entries[head].acknowledged {
            head = (head + 1) % entries.count
            count -= 1
            removed += 1
        }
        if count == 0 {
            head = 0
            byteHead = 0
            byteTail = 0
        } else {
            byteHead = entries[head].offset
        }
        return (index, removed)
    }
}
