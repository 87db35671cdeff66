import EdgeCore
import CloudLink

/// Cloud commands whose field-bus writes are under way: which writes belong to which command,
/// how many are still out, the first failure, and the command's deadline (its TTL). Every write
/// of a command carries the command's own id (`ControlRequest.id`, the one id from the cloud
/// command to the bus and back to the reply), so an entry is found by that id, never by where it
/// sits: a late result of an expired command finds no entry and is ignored. Capacity from start-up
/// (`control.commandsInFlight`); allocates nothing after `init`.
public struct ControlTable: Sendable {
    struct Entry: Sendable {
        var active = false
        var id: UInt32 = 0
        var device = -1
        var remaining = 0
        var error: ControlError? = nil
        var deadline = MonotonicInstant(nanoseconds: 0)
    }

    var entries: [Entry]
    public let ttlMilliseconds: UInt64
    public let readBack: Bool

    public init(capacity: Int, ttlMilliseconds: UInt64, readBack: Bool) {
        entries = [Entry](repeating: Entry(), count: max(capacity, 1))
        self.ttlMilliseconds = ttlMilliseconds
        self.readBack = readBack
    }

    /// Commands the table holds at most.
    public var capacity: Int { entries.count }

    public var active: Int {
        var n = 0
        for i in entries.indices where entries[i].active { n += 1 }
        return n
    }

    /// Takes an entry for `request`'s writes; false when all are busy.
    mutating func open(_ request: ControlRequest, now: MonotonicInstant) -> Bool {
        for i in entries.indices where !entries[i].active {
            entries[i] = Entry(active: true, id: request.id, device: request.device, remaining: request.count, error: nil,
                               deadline: now.advanced(byMilliseconds: ttlMilliseconds))
            return true
        }
        return false
    }

    /// The entry of the command `id` under way.
    func index(of id: UInt32) -> Int? {
        for i in entries.indices where entries[i].active && entries[i].id == id { return i }
        return nil
    }

    /// `count` writes of command `id` will never run (e.g. the bus queue was full).
    mutating func fail(id: UInt32, _ error: ControlError, remaining count: Int) {
        guard let i = index(of: id) else { return }
        entries[i].error = entries[i].error ?? error
        entries[i].remaining -= count
    }

    /// A write of command `id` finished; false when the command is not under way (not ours, or
    /// it expired).
    mutating func complete(id: UInt32, error: ControlError?) -> Bool {
        guard let i = index(of: id) else { return false }
        if let error { entries[i].error = entries[i].error ?? error }
        entries[i].remaining -= 1
        return true
    }

    /// The reply of command `id` if all its writes are done (its entry is freed).
    mutating func takeFinished(id: UInt32) -> (reply: ControlReply, device: Int)? {
        guard let i = index(of: id), entries[i].remaining <= 0 else { return nil }
        entries[i].active = false
        return (ControlReply(id: id, device: entries[i].device, error: entries[i].error), entries[i].device)
    }

    /// A command past its deadline, answered as expired (its entry is freed; late results ignored).
    mutating func takeExpired(now: MonotonicInstant) -> (reply: ControlReply, device: Int)? {
        for i in entries.indices where entries[i].active && entries[i].deadline <= now {
            entries[i].active = false
            return (ControlReply(id: entries[i].id, device: entries[i].device, error: .expired), entries[i].device)
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
