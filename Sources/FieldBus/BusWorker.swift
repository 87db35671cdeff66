import CShim
import EdgeCore
import Synchronization

/// What a bus thread runs; the non-generic base that the C thread entry can call.
public class BusThreadBody {
    init() {}
    func run() {}
}

/// Runs one bus's scheduler on its own pthread, so that blocking transactions (libmodbus, a DL/T 645 meter…) never stall the
/// agent's event loop. Events travel to the agent through a fixed-size SPSC queue, with a wake-up
/// pipe (`eventFD`) the agent's poll loop watches; writes travel the other way through a second
/// queue and wake the bus thread. After `start`, only the bus thread touches the scheduler (and
/// so the port); after `stop` (which joins) the caller may read it again. Nothing allocates
/// between start and stop.
public final class BusWorker<Transport: FieldProtocol & ~Copyable, Clock: EdgeClock>: BusThreadBody {
    var scheduler: BusScheduler<Transport, Clock>
    let events: SPSCQueue<BusEvent>
    let commands: SPSCQueue<WriteCommand>
    let registerReads: SPSCQueue<RegisterReadRequest>
    let statisticsWanted = Atomic<Bool>(false)
    /// The traced point, `device << 16 | point`, or -1 (`watch`).
    let watched = Atomic<Int>(-1)
    let eventWake: WakePipe
    let commandWake: WakePipe
    let stopping = Atomic<Bool>(false)
    let eventSignalled = Atomic<Bool>(false)
    /// Events lost because the agent did not drain the queue in time.
    public let droppedEvents = Atomic<UInt64>(0)
    var thread: UInt64 = 0
    var running = false

    public init(scheduler: consuming BusScheduler<Transport, Clock>, eventCapacity: Int = 1024,
                commandCapacity: Int = 16) throws(Errno) {
        self.scheduler = scheduler
        self.events = SPSCQueue(capacity: eventCapacity)
        self.commands = SPSCQueue(capacity: commandCapacity)
        self.registerReads = SPSCQueue(capacity: 2)
        self.eventWake = try WakePipe(purpose: "bus events")
        self.commandWake = try WakePipe(purpose: "bus commands")
    }

    deinit { stop() }

    /// Readable when events are waiting: watch it with poll(2), then call `drain`.
    public var eventFD: Int32 { eventWake.readFD }

    /// Starts the bus thread.
    public func start() throws(Errno) {
        guard !running else { return }
        stopping.store(false, ordering: .relaxed)
        let context = Unmanaged.passRetained(self as BusThreadBody).toOpaque()
        let rc = edge_thread_start(busThreadEntry, context, &thread)
        guard rc == 0 else {
            Unmanaged<BusThreadBody>.fromOpaque(context).release()
            throw Errno(rawValue: rc)
        }
        running = true
    }

    /// Stops the bus thread after its current transaction and joins it.
    public func stop() {
        guard running else { return }
        stopping.store(true, ordering: .releasing)
        commandWake.signal()
        _ = edge_thread_join(thread)
        running = false
    }

    /// Agent side: queues a write for the bus thread; false when the queue is full.
    public func submit(_ write: WriteCommand) -> Bool {
        guard commands.push(write) else { return false }
        commandWake.signal()
        return true
    }

    /// Agent side: queues a commissioning read for the bus thread; false when the queue is full.
    /// Its result comes back as a `registerReadCompleted` event.
    public func submit(_ read: RegisterReadRequest) -> Bool {
        guard registerReads.push(read) else { return false }
        commandWake.signal()
        return true
    }

    /// Agent side: asks the bus thread for a statistics snapshot, delivered as `busStatistics`
    /// and `deviceStatistics` events after its current transaction.
    public func requestStatistics() {
        statisticsWanted.store(true, ordering: .releasing)
        commandWake.signal()
    }

    /// Agent side: from the next read on, `device`'s `point` has its register words sent before
    /// each sample (`BusEvent.traceWords`, the console's `trace`); a device of -1 stops it.
    public func watch(device: Int, point: Int) {
        let valid = device >= 0 && device < Int.max >> 16 && point >= 0 && point < 1 << 16
        watched.store(valid ? device << 16 | point : -1, ordering: .relaxed)
        commandWake.signal()
    }

    /// Agent side: hands every waiting event to `body`, in order.
    ///
    /// The pipe is emptied BEFORE the flag is cleared: cleared first, a push landing between the
    /// two would write its wake-up byte only for this drain to swallow it, leaving the flag set
    /// with an empty pipe, and no later push would ever signal again (the agent's loop, which
    /// drains only when the pipe is readable, stopped receiving samples for good; seen under
    /// qemu-user). In this order a push after the clear always leaves a byte in the pipe, so the
    /// worst case is one wake-up with nothing to pop.
    public func drain(_ body: (BusEvent) -> Void) {
        eventWake.drain()
        eventSignalled.store(false, ordering: .sequentiallyConsistent)
        while let event = events.pop() { body(event) }
    }

    /// The scheduler, for statistics; only while the thread is stopped.
    public func withScheduler<R>(_ body: (borrowing BusScheduler<Transport, Clock>) -> R) -> R? {
        running ? nil : body(scheduler)
    }

    struct QueueSink: BusEventSink {
        let worker: BusWorker
        mutating func deliver(_ event: BusEvent) {
            if worker.events.push(event) {
                if !worker.eventSignalled.exchange(true, ordering: .sequentiallyConsistent) {
                    worker.eventWake.signal()
                }
            } else {
                worker.droppedEvents.add(1, ordering: .relaxed)
            }
        }
    }

    override func run() {
        var sink = QueueSink(worker: self)
        while !stopping.load(ordering: .acquiring) {
            let w = watched.load(ordering: .relaxed)
            let device = w < 0 ? -1 : w >> 16, point = w < 0 ? -1 : w & 0xFFFF
            if device != scheduler.watchedDevice || point != scheduler.watchedPoint {
                scheduler.watch(device: device, point: point)
            }
            if statisticsWanted.exchange(false, ordering: .acquiring) {
                scheduler.reportStatistics(sink: &sink)
            }
            while let write = commands.pop() {
                if !scheduler.enqueue(write) {
                    sink.deliver(.writeCompleted(id: write.id, device: write.device, point: write.point, outcome: .queueFull))
                }
            }
            while let read = registerReads.pop() {
                if !scheduler.enqueue(read) {
                    sink.deliver(.registerReadCompleted(id: read.id, device: read.device, outcome: .busy))
                }
            }
            switch scheduler.step(sink: &sink) {
            case .transacted:
                continue
            case .waitUntil(let instant):
                let ns = instant.nanoseconds(since: scheduler.clock.monotonicNow())
                if ns < 2_000_000 {
                    if ns > 0 { edge_sleep_ns(ns) }
                } else if commandWake.wait(milliseconds: Int32(min(ns / 1_000_000, 1000))) {
                    commandWake.drain()
                }
            case .idle:
                if commandWake.wait(milliseconds: 1000) { commandWake.drain() }
            }
        }
    }
}

/// The C entry of every bus thread: runs the body and drops the reference `start` passed.
let busThreadEntry: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    guard let context else { return }
    let body = Unmanaged<BusThreadBody>.fromOpaque(context)
    body.takeUnretainedValue().run()
    body.release()
}
