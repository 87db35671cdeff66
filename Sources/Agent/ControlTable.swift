import EdgeCore
import CloudLink

/// Cloud commands whose field-bus writes are under way: which writes belong to which command,
/// how many are still out, the first failure, and the command's deadline (its TTL). A write's id
/// names its slot, a per-slot generation and its index, so a late result of an expired command
/// is recognised and ignored. Fixed capacity; allocates nothing after `init`.
public struct ControlTable: Sendable {
    struct Entry: Sendable {
        var active = false
        var token: UInt32 = 0
        var device = -1
        var generation: UInt32 = 0
        var remaining = 0
        var error: ControlError? = nil
        var deadline = MonotonicInstant(nanoseconds: 0)
    }

    var entries: [Entry]
    public let ttlMilliseconds: UInt64
    public let readBack: Bool

    public init(capacity: Int, ttlMilliseconds: UInt64, readBack: Bool) {
        entries = [Entry](repeating: Entry(), count: min(max(capacity, 1), 255))
        self.ttlMilliseconds = ttlMilliseconds
        self.readBack = readBack
    }

    public var active: Int {
        var n = 0
        for i in entries.indices where entries[i].active { n += 1 }
        return n
    }

    /// Takes a slot for `request`'s writes; nil when all are busy.
    mutating func open(_ request: ControlRequest, now: MonotonicInstant) -> Int? {
        for i in entries.indices where !entries[i].active {
            entries[i].active = true
            entries[i].token = request.token
            entries[i].device = request.device
            entries[i].generation = (entries[i].generation &+ 1) & 0xF_FFFF
            entries[i].remaining = request.count
            entries[i].error = nil
            entries[i].deadline = now.advanced(byMilliseconds: ttlMilliseconds)
            return i
        }
        return nil
    }

    /// The id of write `index` of the command in `slot`.
    func writeId(slot: Int, index: Int) -> UInt32 {
        entries[slot].generation << 12 | UInt32(slot) << 4 | UInt32(index & 0xF)
    }

    /// `count` writes of the command in `slot` will never run (e.g. the bus queue was full).
    mutating func fail(slot: Int, _ error: ControlError, remaining count: Int) {
        entries[slot].error = entries[slot].error ?? error
        entries[slot].remaining -= count
    }

    /// A write finished; returns its command's slot (nil: not ours, or the command expired).
    mutating func complete(writeId: UInt32, error: ControlError?) -> Int? {
        let slot = Int(writeId >> 4 & 0xFF)
        guard slot < entries.count, entries[slot].active, entries[slot].generation == writeId >> 12 else { return nil }
        if let error { entries[slot].error = entries[slot].error ?? error }
        entries[slot].remaining -= 1
        return slot
    }

    /// The reply of the command in `slot` if all its writes are done (the slot is freed).
    mutating func takeFinished(slot: Int) -> (reply: ControlReply, device: Int)? {
        guard entries[slot].active, entries[slot].remaining <= 0 else { return nil }
        entries[slot].active = false
        return (ControlReply(token: entries[slot].token, device: entries[slot].device, error: entries[slot].error), entries[slot].device)
    }

    /// A command past its deadline, answered as expired (the slot is freed; late results ignored).
    mutating func takeExpired(now: MonotonicInstant) -> (reply: ControlReply, device: Int)? {
        for i in entries.indices where entries[i].active && entries[i].deadline <= now {
            entries[i].active = false
            return (ControlReply(token: entries[i].token, device: entries[i].device, error: .expired), entries[i].device)
        }
        return nil
    }

    /// The earliest deadline of a command under way.
    public var nextDeadline: MonotonicInstant? {
        var best: MonotonicInstant? = nil
        // By index: `for e in entries` allocates an iterator frame per element in debug builds.
        for i in entries.indices where entries[i].active {
            if best == nil || entries[i].deadline < best! { best = entries[i].deadline }
        }
        return best
    }

    static func kindName(_ kind: ControlRequest.Kind) -> String {
        switch kind {
        case .set: return "measurepoint.set"
        case .get: return "measurepoint.get"
        case .service: return "service"
        }
    }
}
