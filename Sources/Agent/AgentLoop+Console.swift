import CloudLink
import EdgeCore
import FieldBus
import RingLog
import StoreForward

/// The loop's side of the console's interface: it fills the console's `AgentSnapshot` and
/// answers the requests queued on its `AgentCommandPort`. The console never holds the loop.
extension AgentLoop where Device: ~Copyable, Uplink: ~Copyable {
    /// A snapshot sized for this configuration, to be filled with `fillSnapshot` (allocates:
    /// call it once, at start).
    public func makeSnapshot() -> AgentSnapshot {
        AgentSnapshot(configuration)
    }

    /// Copies the figures the console shows into `snapshot` (nothing allocated when `snapshot`
    /// is the only copy of its storage).
    public mutating func fillSnapshot(_ snapshot: inout AgentSnapshot) {
        snapshot.status = currentStatus()
        let ring = store.log.statistics()
        snapshot.ringUsedBytes = ring.usedBytes
        snapshot.ringCapacityBytes = ring.capacityBytes
        snapshot.store = store.stats
        snapshot.isResuming = store.isResuming
        snapshot.devices.copy(from: devices)
        snapshot.figures.copyFigures(from: consoleFigures)
        var bus = 0
        while bus < workers.count && bus < snapshot.droppedEvents.count {
            snapshot.droppedEvents[bus] = workers[bus].droppedEventCount
            bus += 1
        }
        snapshot.writeConnection { uplink.describeConnection(into: &$0) }
        snapshot.modelMarks.copy { uplink.modelVerdict(device: $0, point: $1) }
        if alarms.isActive { snapshot.alarms.copy(from: alarms) }
        snapshot.trace.copy(from: computation.trace)
        snapshot.fills &+= 1
    }

    /// Hands the requests waiting on `port` to the bus workers (a full queue is answered at
    /// once: `queueFull`, `busy`), and puts on `port` the outcomes of its writes and reads that
    /// arrived since.
    public mutating func answer(_ port: AgentCommandPort) {
        port.takeRequests { request in
            switch request {
            case .statistics:
                var i = 0
                while i < workers.count {
                    workers[i].requestStatistics()
                    i += 1
                }
            case .write(let bus, let command):
                if bus < 0 || bus >= workers.count || !workers[bus].submit(command) {
                    port.answer(write: command.id, .queueFull)
                }
            case .registerRead(let bus, let read):
                if bus < 0 || bus >= workers.count || !workers[bus].submit(read) {
                    port.answer(registerRead: read.id, .busy)
                }
            case .trace(let device, let point):
                computation.watch(device: device, point: point)
                var i = 0
                while i < workers.count {
                    workers[i].watch(device: device, point: point)
                    i += 1
                }
            }
        }
        if let id = consoleFigures.arrivedConsoleWrite, let outcome = consoleFigures.takeConsoleWrite(id: id) {
            port.answer(write: id, outcome)
        }
        if let id = consoleFigures.arrivedRegisterRead, let outcome = consoleFigures.takeRegisterRead(id: id) {
            port.answer(registerRead: id, outcome)
        }
    }
}
