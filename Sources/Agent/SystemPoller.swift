import CShim

/// The loop's poller in the running agent: poll(2) over the entries, and the signals from the
/// self-pipe that `SignalPipe` fills. Holds nothing; allocates nothing.
public struct SystemPoller: EventPoller, Sendable {
    public init() {}

    public mutating func wait(_ entries: UnsafeMutableBufferPointer<pollfd>, timeoutMilliseconds: Int) {
        let rc = poll(entries.baseAddress, nfds_t(entries.count), Int32(clamping: timeoutMilliseconds))
        if rc < 0 {
            for i in entries.indices { entries[i].revents = 0 }
        }
    }

    public mutating func takeSignals(descriptor: Int32) -> UInt64 {
        SignalPipe(descriptorOnly: descriptor).take()
    }
}
