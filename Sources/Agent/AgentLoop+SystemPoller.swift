import EdgeCore
import RingLog
import Configuration
import StoreForward

extension AgentEventLoop where Poller == SystemPoller, Device: ~Copyable, Uplink: ~Copyable {
    /// The loop waiting with poll(2), its signals read from `signalDescriptor` (`SignalPipe`).
    public init(configuration: AgentConfiguration, store: consuming StoreAndForward<Device, Clock>, uplink: consuming Uplink,
                workers: [Bus], clock: Clock, signalDescriptor: Int32, log: AgentLog) {
        self.init(configuration: configuration, store: store, uplink: uplink, workers: workers, clock: clock,
                  poller: SystemPoller(), signalDescriptor: signalDescriptor, log: log)
    }
}
