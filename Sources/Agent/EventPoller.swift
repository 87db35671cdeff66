import CShim

/// What the agent's loop waits on: a set of descriptors (the signal pipe, the uplink's socket, the
/// console, the bus workers' wake pipes) with a timeout from the loop's timers. `SystemPoller`
/// calls poll(2); tests substitute a poller that decides what is ready and moves a `ManualClock`
/// by the timeout when nothing is, so that the loop's timers run without sleeping. Generic use only.
public protocol EventPoller: ~Copyable {
    /// Waits at most `timeoutMilliseconds` (0: not at all) until an entry of `entries` is ready,
    /// and sets each entry's `revents` (all 0 after a timeout or a failure). Entries with
    /// descriptor -1 are ignored.
    mutating func wait(_ entries: UnsafeMutableBufferPointer<pollfd>, timeoutMilliseconds: Int)
    /// The signals caught since the last call (bit n: signal n), once the entry of `descriptor`
    /// (the signal pipe's read end) was readable.
    mutating func takeSignals(descriptor: Int32) -> UInt64
}
