import EdgeCore
import IEC104

/// The points of one IEC 104 link by (common address, object address), built at start-up, and
/// the samples received for them waiting for the scheduler: a fixed ring, so that a value that
/// changes several times between two scheduler turns delivers every change, each with its own
/// time stamp. A class so that the link's event callback can fill it while the link itself is
/// being mutated; it allocates only while the table is built.
final class IEC104PointTable: IEC104EventReceiver {
    struct Target {
        var device: Int
        var point: Int
        var kind: IEC104PointKind
        var scale: Double
        var offset: Double
    }

    /// (common address << 24 | object address), sorted, and what each addresses.
    var keys: [UInt64] = []
    var targets: [Target] = []
    let ring: UnsafeMutablePointer<Sample>
    let capacity: Int
    var head = 0
    var count = 0
    /// Values at addresses no template point names (or of another kind than the point's).
    var unconfigured: UInt64 = 0
    /// Values lost because the ring was full (the scheduler did not come round in time).
    var dropped: UInt64 = 0
    /// The command awaiting its confirmation: key and type; and the confirmation when it came.
    var awaitingKey: UInt64? = nil
    var awaitingType: TypeIdentification = .singleCommand
    var confirmation: ControlResponse? = nil
    /// Clock synchronisations the station confirmed, and refused; the latest refusal not yet
    /// reported (`IEC104Master.deliverReceived` says it once per cause).
    var clockSyncsConfirmed: UInt64 = 0
    var clockSyncsRefused: UInt64 = 0
    var clockSyncRefusal: ControlResponse? = nil
    /// Cause code of the refusal last reported; nil once a synchronisation is confirmed again.
    var clockSyncRefusalSaid: UInt8? = nil

    init(capacity: Int) {
        self.capacity = capacity
        ring = .allocate(capacity: capacity)
    }

    deinit {
        while count > 0 { _ = (ring + head).move(); head = (head + 1) % capacity; count -= 1 }
        ring.deallocate()
    }

    static func key(commonAddress: UInt16, address: UInt32) -> UInt64 { UInt64(commonAddress) << 24 | UInt64(address & 0xFF_FFFF) }

    /// Start-up: adds a point (a later duplicate of an address replaces nothing).
    func add(key: UInt64, target: Target) {
        var at = 0
        while at < keys.count && keys[at] < key { at += 1 }
        if at < keys.count && keys[at] == key { return }
        keys.insert(key, at: at)
        targets.insert(target, at: at)
    }

    func find(_ key: UInt64) -> Int? {
        var low = 0, high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low < keys.count && keys[low] == key ? low : nil
    }

    var room: Int { capacity - count }
    /// Room for a full ASDU of values (reading waits for the scheduler otherwise).
    var hasRoom: Bool { room >= 256 }

    /// Handles one event of the link: a value becomes a sample; a command's confirmation is kept.
    func handle(_ event: LinkEvent, now: WallTime) {
        switch event {
        case .data(let p): store(p, now: now)
        case .response(let r) where r.type == .clockSynchronisation:
            if r.isRefused {
                clockSyncsRefused &+= 1
                clockSyncRefusal = r
            } else if r.causeCode == Cause.activationConfirmation.rawValue {
                clockSyncsConfirmed &+= 1
                clockSyncRefusalSaid = nil
            }
        case .response(let r):
            guard let k = awaitingKey, r.type == awaitingType,
                  Self.key(commonAddress: r.commonAddress, address: r.address) == k,
                  r.causeCode != Cause.activationTermination.rawValue else { return }
            confirmation = r
        case .started, .stopped, .endOfInitialisation, .rejected: break
        }
    }

    func store(_ p: DataPoint, now: WallTime) {
        guard let i = find(Self.key(commonAddress: p.commonAddress, address: p.address)),
              IEC104PointKind(p.type) == targets[i].kind else {
            unconfigured &+= 1
            return
        }
        let t = targets[i]
        let value: PointValue
        switch p.value {
        case .single(let on): value = .bool(on)
        case .double(let state): value = .uint(UInt64(state.rawValue))
        case .normalized(let f), .float(let f): value = .double(Double(f) * t.scale + t.offset)
        case .scaled(let v): value = Self.integer(Int64(v), t)
        case .counter(let v, _): value = Self.integer(Int64(v), t)
        case .none: unconfigured &+= 1; return
        }
        let quality: Quality = p.quality.rawValue == 0 ? .good : .flagged(p.quality.rawValue)
        var time = now
        if let stamp = p.time, !stamp.invalid { time = WallTime(milliseconds: stamp.milliseconds) }
        guard count < capacity else { dropped &+= 1; return }
        (ring + (head + count) % capacity).initialize(to: Sample(device: t.device, point: t.point, value: value, quality: quality, time: time))
        count += 1
    }

    static func integer(_ v: Int64, _ t: Target) -> PointValue {
        t.scale == 1 && t.offset == 0 ? .int(v) : .double(Double(v) * t.scale + t.offset)
    }

    /// Hands every waiting sample to `sink`, oldest first.
    func drain<Sink: BusEventSink>(into sink: inout Sink) {
        while count > 0 {
            let sample = (ring + head).move()
            head = (head + 1) % capacity
            count -= 1
            sink.deliver(.sample(sample))
        }
    }
}
