import CShim

/// A point on the monotonic clock, in nanoseconds since an arbitrary start (boot, or zero for a
/// manual clock). Used for scheduling, timeouts and deadlines; never for timestamps.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64

    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.nanoseconds < b.nanoseconds }

    /// This instant moved forward by `ns` nanoseconds (saturating).
    @inlinable public func advanced(byNanoseconds ns: UInt64) -> Self {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(ns)
        return Self(nanoseconds: overflow ? UInt64.max : sum)
    }

    /// This instant moved forward by `ms` milliseconds (saturating).
    @inlinable public func advanced(byMilliseconds ms: UInt64) -> Self {
        let (ns, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
        return advanced(byNanoseconds: overflow ? UInt64.max : ns)
    }

    /// Nanoseconds from `earlier` to this instant, 0 if `earlier` is later.
    @inlinable public func nanoseconds(since earlier: Self) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }
}

/// Wall-clock time: milliseconds since 1970-01-01 UTC, the unit of EnOS timestamps.
public struct WallTime: Comparable, Hashable, Sendable {
    public var milliseconds: Int64

    @inlinable public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    @inlinable public static func < (a: Self, b: Self) -> Bool { a.milliseconds < b.milliseconds }
}

/// The one source of time. Schedulers, sessions, the publisher and the OTA health check are
/// generic over it so that tests drive time by hand (`ManualClock`) and never sleep.
public protocol EdgeClock {
    /// Now on the monotonic clock.
    func monotonicNow() -> MonotonicInstant
    /// Now on the wall clock.
    func wallNow() -> WallTime
}

/// The system's clocks: CLOCK_MONOTONIC and CLOCK_REALTIME.
public struct SystemClock: EdgeClock, Sendable {
    @inlinable public init() {}

    @inlinable public func monotonicNow() -> MonotonicInstant {
        MonotonicInstant(nanoseconds: edge_monotonic_ns())
    }

    @inlinable public func wallNow() -> WallTime {
        WallTime(milliseconds: edge_realtime_ns() / 1_000_000)
    }
}

/// A clock that moves only when told to: for tests of keepalive, back-off and deadlines.
/// A class so that the code under test and the test share one instance.
public final class ManualClock: EdgeClock {
    public private(set) var monotonic: MonotonicInstant
    public private(set) var wall: WallTime

    /// Starts at the given instants (the wall clock defaults to 2026-01-01T00:00:00Z).
    public init(monotonic: MonotonicInstant = MonotonicInstant(nanoseconds: 0),
                wall: WallTime = WallTime(milliseconds: 1_767_225_600_000)) {
        self.monotonic = monotonic
        self.wall = wall
    }

    public func monotonicNow() -> MonotonicInstant { monotonic }
    public func wallNow() -> WallTime { wall }

    /// Moves both clocks forward.
    public func advance(milliseconds: UInt64) {
        monotonic = monotonic.advanced(byMilliseconds: milliseconds)
        wall = WallTime(milliseconds: wall.milliseconds + Int64(milliseconds))
    }

    /// Moves both clocks forward by nanoseconds (the wall clock by whole milliseconds).
    public func advance(nanoseconds: UInt64) {
        monotonic = monotonic.advanced(byNanoseconds: nanoseconds)
        wall = WallTime(milliseconds: wall.milliseconds + Int64(nanoseconds / 1_000_000))
    }

    /// Sets the wall clock (e.g. an NTP step) without moving the monotonic one.
    public func setWall(_ time: WallTime) { wall = time }
}
