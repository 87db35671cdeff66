import EdgeCore

/// The login state of each configured sub-device: whether the agent wants it online (its field
/// device answers), whether it is logged in, waiting for a login reply, or failed and waiting to
/// retry. Fixed arrays sized at start-up; linear scans.
struct EnOSSubDeviceTable: ~Copyable {
    enum Status: UInt8 {
        case offline
        case loggingIn
        case online
        case failed
        case loggingOut
    }

    let count: Int
    let wanted: UnsafeMutableBufferPointer<Bool>
    let status: UnsafeMutableBufferPointer<Status>
    let request: UnsafeMutableBufferPointer<UInt32>
    let retryAt: UnsafeMutableBufferPointer<MonotonicInstant>
    let logoutDue: UnsafeMutableBufferPointer<Bool>
    /// Login failures in a row (the retry delay doubles with each, see `retryDelay`).
    let failures: UnsafeMutableBufferPointer<UInt8>

    init(count: Int) {
        self.count = count
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
        guard wanted[i] else { return false }
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
        }
    }
}
