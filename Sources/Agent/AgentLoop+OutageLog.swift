import Configuration
import Logging
import RingLog
import StoreForward

extension AgentEventLoop where Device: ~Copyable, Uplink: ~Copyable, Poller: ~Copyable {
    /// At debug level, one line per ring-log sync that made records durable while the uplink is
    /// down: what an outage keeps, as it is kept (the end-to-end tests wait for it instead of
    /// sleeping). Nothing is composed at other levels.
    func sayRecordsSyncedWhileDown(durableBefore: UInt64?) {
        guard log.isEnabled(.debug), let durable = store.log.durableSequence, durable != durableBefore else { return }
        log.debug("ring log: records up to \(durable) synced while the uplink is down (\(store.unacknowledgedRecords) not confirmed)")
    }
}
