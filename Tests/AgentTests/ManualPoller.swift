import Agent
import CShim
import EdgeCore

/// The agent loop's poller in tests (`EventPoller`), after swift-nio's EmbeddedEventLoop: nothing
/// waits for real. An entry is ready when the test says so (a raised signal, a `MemoryBus` with
/// events); when none is, the wait is "spent" by moving the `ManualClock` forward by the whole
/// timeout, so each turn lands exactly on the loop's next deadline. Every timeout is kept.
final class ManualPoller: EventPoller {
    /// The signal pipe's descriptor as the loop is given it (not a real descriptor).
    static let signalDescriptor: Int32 = 9_000

    let clock: ManualClock
    var buses: [MemoryBus] = []
    var pendingSignals: UInt64 = 0
    /// The timeout of every wait, in order.
    private(set) var timeouts: [Int] = []

    init(clock: ManualClock) { self.clock = clock }

    /// A signal arrives (as the handler would write it into the pipe).
    func raise(_ signal: Int32) { pendingSignals |= 1 << UInt64(signal) }

    func wait(_ entries: UnsafeMutableBufferPointer<pollfd>, timeoutMilliseconds: Int) {
        timeouts.append(timeoutMilliseconds)
        var ready = false
        for i in entries.indices {
            entries[i].revents = 0
            let fd = entries[i].fd
            guard fd >= 0 else { continue }
            if fd == Self.signalDescriptor && pendingSignals != 0 {
                entries[i].revents = Int16(POLLIN)
            } else if let bus = buses.first(where: { $0.eventFD == fd }), bus.hasEvents {
                entries[i].revents = Int16(POLLIN)
            }
            if entries[i].revents != 0 { ready = true }
        }
        if !ready && timeoutMilliseconds > 0 { clock.advance(milliseconds: UInt64(timeoutMilliseconds)) }
    }

    func takeSignals(descriptor: Int32) -> UInt64 {
        guard descriptor == Self.signalDescriptor else { return 0 }
        defer { pendingSignals = 0 }
        return pendingSignals
    }
}
