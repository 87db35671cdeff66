/// One request round that finds which device a refusal is about when the cloud's reply does not
/// say (EnOS answers a batch with the first error it meets, all or nothing): the oldest
/// unacknowledged records (a request's worth) are sent again split by device, one request per
/// device, all in the same round. Each part's reply then names its device: a part refused for a
/// device reason while another part went through marks that device refused (`RefusedDevices`);
/// parts refused all alike mean the refusal is not about one device (the gateway, the topic) and
/// the usual back-off follows. The range is acknowledged once every part is settled. Fixed
/// capacity (one part per field device), sized at start-up.
struct DeviceSplitRound {
    enum PartState: UInt8 {
        case none
        case pending
        case confirmed
        case refused
    }

    /// A round is under way: normal sending waits until it is settled.
    var active = false
    /// The records of the round are chosen (`first...last`, tracked under `rangeTag`).
    var ranged = false
    var first: UInt64 = 0
    var last: UInt64 = 0
    var rangeTag: UInt64 = 0
    /// Parts are built for devices from here on (the window may hold fewer than all at once).
    var nextDevice = 0
    /// Per device: it has samples in the round's records (only those get a part).
    var present: [Bool]
    var tags: [UInt64]
    var states: [PartState]
    var codes: [Int]
    var samples: [UInt64]
    var pending = 0
    var confirmed = 0
    var refused = 0

    init(capacity: Int) {
        let n = max(capacity, 1)
        present = [Bool](repeating: false, count: n)
        tags = [UInt64](repeating: 0, count: n)
        states = [PartState](repeating: .none, count: n)
        codes = [Int](repeating: 0, count: n)
        samples = [UInt64](repeating: 0, count: n)
    }

    var capacity: Int { tags.count }

    /// All parts are built and answered.
    var isSettled: Bool { active && ranged && nextDevice >= capacity && pending == 0 }

    mutating func start() {
        reset()
        active = true
    }

    mutating func reset() {
        active = false
        ranged = false
        nextDevice = 0
        pending = 0
        confirmed = 0
        refused = 0
        for i in 0..<tags.count {
            present[i] = false
            tags[i] = 0
            states[i] = .none
            codes[i] = 0
            samples[i] = 0
        }
    }

    /// The device whose part was sent under `tag`, if that part is still awaited.
    func device(ofPart tag: UInt64) -> Int? {
        guard active, tag != 0 else { return nil }
        for i in 0..<tags.count where tags[i] == tag && states[i] == .pending { return i }
        return nil
    }

    mutating func sent(device: Int, tag: UInt64, samples n: Int) {
        tags[device] = tag
        states[device] = .pending
        samples[device] = UInt64(n)
        pending += 1
    }

    /// The part of `device` was answered: delivered, or refused with `code`.
    mutating func settle(device: Int, refusedWith code: Int?) {
        guard states[device] == .pending else { return }
        pending -= 1
        if let code {
            states[device] = .refused
            codes[device] = code
            refused += 1
        } else {
            states[device] = .confirmed
            confirmed += 1
        }
    }
}
