import EdgeCompute
import EdgeCore
import FieldBus
import RingLog
import StoreForward

/// The loop's side of `PointComputation`: samples through scale factors, derived points and
/// report-by-exception into the device table and the ring log.
extension AgentEventLoop where Device: ~Copyable, Uplink: ~Copyable, Poller: ~Copyable {
    /// A polled sample, when the configuration has something to compute or filter.
    mutating func computeSample(_ sample: Sample) {
        if computation.mustFlush(before: sample) { flushComputation() }
        switch computation.take(sample) {
        case .report: deliverSample(sample, reported: true)
        case .suppress: deliverSample(sample, reported: false)
        case .hold: break
        }
    }

    /// After a batch of bus events: the held samples and the derived points they feed.
    mutating func flushComputation() {
        guard computation.isActive || computation.isTracing else { return }
        computation.flush(now: clock.wallNow().milliseconds) { sample, reported in self.deliverSample(sample, reported: reported) }
    }
}
