import EdgeCore

/// The login state of each configured sub-device: whether the agent wants it online (its field
/// device answers), whether the cloud allows it (not disabled or deleted by a `combine.*`
/// notice), whether it is in the gateway's topology (when the gateway manages it), whether it is
/// logged in, waiting for a login reply, or failed and waiting to retry. Fixed arrays sized at
/// start-up; linear scans.
struct EnOSSubDeviceTable: ~Copyable {
    enum Status: UInt8 {
        case offline
        case loggingIn
        case online
        case failed
        case loggingOut
    }

    /// The sub-device's place in the gateway's topology, as learnt since the last connect.
    enum Topology: UInt8 {
        /// Not known yet (`thing.topo.get` not answered).
        case unknown
        /// Not in the topology: `thing.topo.add` is due.
        case missing
        /// A batched `thing.topo.add` failed: due again alone, so one refusal does not block others.
        case missingAlone
        case adding
        case present
        /// `thing.topo.add` refused it: tried again when its `retryAt` passes.
        case failed
    }

    let count: Int
    let wanted: UnsafeMutableBufferPointer<Bool>
    let status: UnsafeMutableBufferPointer<Status>
    let request: UnsafeMutableBufferPointer<UInt32>
    let retryAt: UnsafeMutableBufferPointer<MonotonicInstant>
    let logoutDue: UnsafeMutableBufferPointer<Bool>
    /// Login failures in a row (the retry delay doubles with each, see `retryDelay`).
    let failures: UnsafeMutableBufferPointer<UInt8>
    let topology: UnsafeMutableBufferPointer<Topology>
    /// What the cloud's last `combine.*` notice said (kept across reconnects).
    let cloud: UnsafeMutableBufferPointer<EnOSSubDeviceNotice>
    /// Logins wait for `topology == .present` (the gateway manages the topology).
    let requiresTopology: Bool

    init(count: Int, requiresTopology: Bool = false) {
        self.count = count
        self.requiresTopology = requiresTopology
        topology = .allocate(capacity: max(count, 1))
        topology.initialize(repeating: requiresTopology ? .unknown : .present)
        cloud = .allocate(capacity: max(count, 1))
        cloud.initialize(repeating: .enabled)
        wanted = .allocate(capacity: max(count, 1))
        wanted.initialize(repeating: true)
        status = .allocate(capacity: max(count, 1))
        status.initialize(repeating: .offline)
        request = .allocate(capacity: max(count, 1))
        request.initialize(repeating: 0)
        retryAt = .allocate(capacity: max(count, 1))
        retryAt.initialize(repeating: MonotonicInstant(nanoseconds: 0))
        logoutDue = .allocate(capacity: max(count, 1))
        logoutDue.initialize(repeating: false)
        failures = .allocate(capacity: max(count, 1))
        failures.initialize(repeating: 0)
    }

    deinit {
        wanted.deallocate()
        status.deallocate()
        request.deallocate()
        retryAt.deallocate()
        logoutDue.deallocate()
        failures.deallocate()
        topology.deallocate()
        cloud.deallocate()
    }

    /// The wait before the next login of a sub-device that failed `failures` times in a row:
    /// `base` doubled with each failure after the first, at most 5 minutes (a refused login,
    /// e.g. a wrong secret or a disabled device, is not retried every second for ever).
    static func retryDelay(base: UInt64, failures: UInt8) -> UInt64 {
        let doublings = UInt64(min(max(Int(failures), 1) - 1, 12))
        return min(base << doublings, max(base, 300_000))
    }

    /// Online or on the way: what counts against the 200 cap.
    var activeCount: Int {
        var n = 0
        for i in 0..<count where status[i] == .online || status[i] == .loggingIn { n += 1 }
        return n
    }

    /// True if sub-device `i` should be sent a login now.
    func loginDue(_ i: Int, now: MonotonicInstant) -> Bool {
        guard wanted[i], cloud[i] == .enabled, topology[i] == .present else { return false }
        switch status[i] {
        case .offline: return true
        case .failed: return now >= retryAt[i]
        default: return false
        }
    }

    /// The connection is gone: nobody is logged in any more.
    func resetAll() {
        for i in 0..<count {
            status[i] = .offline
            request[i] = 0
            logoutDue[i] = false
            if requiresTopology { topology[i] = .unknown }
        }
    }

}
