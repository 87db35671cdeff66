import EdgeCore

/// When to connect again after a connection ends: exponential back-off with jitter, and two hard
/// limits that hold whatever the back-off says: a minimum interval between connection attempts
/// and at most `maximumAttemptsPerWindow` attempts in any `windowMilliseconds`. The defaults are
/// the EnOS limits (1 connection per second, at most 4 in 2 minutes, or a 5-minute lock-out).
public struct MQTTReconnectPolicy: Sendable {
    public var initialDelayMilliseconds: UInt64
    public var maximumDelayMilliseconds: UInt64
    /// Each delay is moved at random by up to this percentage either way (0...100).
    public var jitterPercent: UInt64
    public var minimumIntervalMilliseconds: UInt64
    public var windowMilliseconds: UInt64
    /// 1...8.
    public var maximumAttemptsPerWindow: Int

    public init(initialDelayMilliseconds: UInt64 = 2_000, maximumDelayMilliseconds: UInt64 = 120_000,
                jitterPercent: UInt64 = 25, minimumIntervalMilliseconds: UInt64 = 1_000,
                windowMilliseconds: UInt64 = 120_000, maximumAttemptsPerWindow: Int = 4) {
        precondition(maximumAttemptsPerWindow >= 1 && maximumAttemptsPerWindow <= MQTTConnectHistory.capacity,
                     "MQTTReconnectPolicy: maximumAttemptsPerWindow must be 1...8")
        precondition(jitterPercent <= 100, "MQTTReconnectPolicy: jitterPercent above 100")
        self.initialDelayMilliseconds = initialDelayMilliseconds
        self.maximumDelayMilliseconds = maximumDelayMilliseconds
        self.jitterPercent = jitterPercent
        self.minimumIntervalMilliseconds = minimumIntervalMilliseconds
        self.windowMilliseconds = windowMilliseconds
        self.maximumAttemptsPerWindow = maximumAttemptsPerWindow
    }

    /// The EnOS defaults.
    public static var enos: MQTTReconnectPolicy { MQTTReconnectPolicy() }

    /// Back-off before attempt number `failures + 1` after `failures` failed ones (jittered).
    public func delay<R: MQTTRandomSource>(afterFailures failures: Int, random: inout R) -> UInt64 {
        var base = initialDelayMilliseconds
        var k = 1
        while k < failures && base < maximumDelayMilliseconds {
            base = base > maximumDelayMilliseconds / 2 ? maximumDelayMilliseconds : base * 2
            k += 1
        }
        base = min(base, maximumDelayMilliseconds)
        let spread = base * jitterPercent / 100
        guard spread > 0 else { return base }
        return base - spread + random.next() % (2 * spread + 1)
    }

    /// The earliest instant the next attempt may start, given the back-off delay counted from
    /// `now` and the attempts made so far.
    public func nextAttempt(now: MonotonicInstant, delayMilliseconds: UInt64, history: MQTTConnectHistory) -> MonotonicInstant {
        var earliest = now.advanced(byMilliseconds: delayMilliseconds)
        if let last = history.attempt(back: 1) {
            earliest = max(earliest, last.advanced(byMilliseconds: minimumIntervalMilliseconds))
        }
        if let oldest = history.attempt(back: maximumAttemptsPerWindow) {
            earliest = max(earliest, oldest.advanced(byMilliseconds: windowMilliseconds))
        }
        return earliest
    }
}

/// The instants of the last few connection attempts (up to 8), newest last.
public struct MQTTConnectHistory: Sendable {
    public static let capacity = 8
    var instants: InlineArray<8, MonotonicInstant> = InlineArray(repeating: MonotonicInstant(nanoseconds: 0))
    var next = 0
    public private(set) var recorded = 0

    public init() {}

    public mutating func record(_ instant: MonotonicInstant) {
        instants[next] = instant
        next = (next + 1) % Self.capacity
        recorded += 1
    }

    /// The attempt `n` back (1 = the latest), or nil if fewer were made.
    public func attempt(back n: Int) -> MonotonicInstant? {
        guard n >= 1, n <= Self.capacity, n <= recorded else { return nil }
        return instants[(next - n + Self.capacity) % Self.capacity]
    }
}
