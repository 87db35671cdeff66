import EdgeCore

/// What the scheduler wants next from its driver.
public enum SchedulerStep: Equatable, Sendable {
    /// One transaction ran; call `step` again.
    case transacted
    /// Nothing may go on the wire before this instant (the next deadline or the end of the
    /// inter-frame gap): sleep until then, or until a write arrives.
    case waitUntil(MonotonicInstant)
    /// Nothing to poll at all.
    case idle
}

/// The one owner of a bus: polls its devices' planned reads earliest-deadline-first, runs queued
/// writes ahead of polls, keeps the inter-frame gap, retries failures, takes a device offline
/// after K consecutive failures and probes it with capped exponential back-off (one request, so
/// a dead device costs one timeout per back-off step), and keeps statistics. Non-blocking in
/// itself: `step` runs at most one transaction and otherwise says how long to wait; time comes
/// from the injected clock. Buffers are sized at start-up; `step` allocates nothing.
/// Protocol-independent: the transactions themselves are `Transport`'s (`FieldProtocol`: Modbus,
/// DL/T 645…).
public struct BusScheduler<Transport: FieldProtocol & ~Copyable, Clock: EdgeClock>: ~Copyable {
    public var transport: Transport
    public let clock: Clock
    public let bus: BusDefinition
    public private(set) var devices: [DeviceState]
    public private(set) var reads: [ScheduledRead]
    public private(set) var plannedPoints: [PlannedPoint]
    public private(set) var statistics = BusStatistics()
    let templates: [DeviceTemplate]
    var writes: WriteQueue
    /// A commissioning read waiting to run (one at a time).
    var registerRead: RegisterReadRequest? = nil
    let gapNanoseconds: UInt64
    /// End of the last transaction; nil before the first (no gap to keep).
    var lastTransactionEnd: MonotonicInstant? = nil
    let registers: UnsafeMutableBufferPointer<UInt16>
    let bits: UnsafeMutableBufferPointer<UInt8>
    let verifyRegisters: UnsafeMutableBufferPointer<UInt16>
    /// The point whose register words are sent before its samples (`watch`); -1: none.
    public private(set) var watchedDevice = -1
    public private(set) var watchedPoint = -1

    /// Plans the reads of the devices on bus `busIndex` (their index in `devices` is what events
    /// name). Throws the first planning error; configuration validation reports them all earlier.
    public init(bus: BusDefinition, busIndex: Int, templates: [DeviceTemplate], devices: [DeviceDefinition],
                transport: consuming Transport, clock: Clock, writeQueueCapacity: Int = 16) throws(PlanError) {
        self.transport = transport
        self.clock = clock
        self.bus = bus
        self.templates = templates
        self.writes = WriteQueue(capacity: writeQueueCapacity)
        self.gapNanoseconds = bus.interFrameGapNanoseconds
        let now = clock.monotonicNow()
        var states: [DeviceState] = []
        var reads: [ScheduledRead] = []
        var planned: [PlannedPoint] = []
        for (index, device) in devices.enumerated() where device.bus == busIndex {
            let template = templates[device.template]
            var state = DeviceState(device: index, unitId: device.unitId, template: device.template)
            state.station = device.station
            state.firstRead = reads.count
            state.backoffMilliseconds = bus.probeBackoffMinimumMilliseconds
            let slot = states.count
            // One plan per distinct interval, shortest first.
            var intervals: [UInt32] = []
            for point in template.points where !point.isDerived {
                let interval = device.interval(of: point, in: template)
                if !intervals.contains(interval) { intervals.append(interval) }
            }
            intervals.sort()
            for interval in intervals {
                var selection: [Int] = []
                for i in template.points.indices
                where !template.points[i].isDerived && device.interval(of: template.points[i], in: template) == interval {
                    selection.append(i)
                }
                let plan = try Transport.plan(template, selection: selection)
                for var request in plan.requests {
                    request.firstPoint += planned.count
                    reads.append(ScheduledRead(slot: slot, request: request,
                                               intervalNanoseconds: UInt64(max(interval, 1)) * 1_000_000, deadline: now))
                }
                planned.append(contentsOf: plan.points)
            }
            states.append(state)
        }
        self.devices = states
        self.reads = reads
        self.plannedPoints = planned
        self.registers = .allocate(capacity: Int(DeviceLimits.protocolMaxRegisters))
        self.registers.initialize(repeating: 0)
        self.bits = .allocate(capacity: Int(DeviceLimits.protocolMaxBits))
        self.bits.initialize(repeating: 0)
        self.verifyRegisters = .allocate(capacity: Int(DeviceLimits.protocolMaxRegisters))
        self.verifyRegisters.initialize(repeating: 0)
        statistics.startedAtNanoseconds = now.nanoseconds
        for i in self.devices.indices {
            self.transport.attach(device: self.devices[i].device, address: self.devices[i].address,
                                  template: templates[self.devices[i].template])
        }
    }

    /// Sends the register words of `device`'s `point` (index in the configuration, in its
    /// template) before each of its good samples (`BusEvent.traceWords`, for the console's
    /// `trace`); -1 watches nothing. Every other point's samples go out alone.
    public mutating func watch(device: Int, point: Int) {
        watchedDevice = device
        watchedPoint = point
    }

    /// The buffers lent to the connection for each transaction.
    var scratch: FieldScratch { FieldScratch(registers: registers, bits: bits, verifyRegisters: verifyRegisters) }

    deinit {
        registers.deallocate()
        bits.deallocate()
        verifyRegisters.deallocate()
    }

    /// Queues a write to run before the next poll; false (and counted) when the queue is full.
    public mutating func enqueue(_ write: WriteCommand) -> Bool {
        if writes.push(write) { return true }
        statistics.writesDropped &+= 1
        return false
    }

    /// Queues a commissioning read to run before the next poll (after queued writes); false when
    /// one is already waiting.
    public mutating func enqueue(_ read: RegisterReadRequest) -> Bool {
        guard registerRead == nil else { return false }
        registerRead = read
        return true
    }

    /// Delivers a snapshot of the bus's statistics, the protocol's own figures (when it has
    /// them), and every device's statistics and state.
    public func reportStatistics<Sink: BusEventSink>(sink: inout Sink) {
        sink.deliver(.busStatistics(statistics, nowNanoseconds: clock.monotonicNow().nanoseconds))
        if let figures = transport.protocolStatistics { sink.deliver(.protocolStatistics(figures)) }
        // By index: `for d in devices` allocates an iterator frame per element in debug builds.
        for i in devices.indices {
            sink.deliver(.deviceStatistics(device: devices[i].device, online: devices[i].online, statistics: devices[i].statistics))
        }
    }

    /// Writes waiting to run.
    public var pendingWrites: Int { writes.count }

    /// Runs at most one transaction (a queued write, else the most overdue read or probe) and
    /// delivers what came of it to `sink`.
    public mutating func step<Sink: BusEventSink>(sink: inout Sink) -> SchedulerStep {
        let now = clock.monotonicNow()
        let gapEnd = lastTransactionEnd?.advanced(byNanoseconds: gapNanoseconds) ?? now
        if !writes.isEmpty || registerRead != nil {
            if now < gapEnd { return .waitUntil(gapEnd) }
            if let write = writes.pop() {
                runWrite(write, sink: &sink)
            } else if let read = registerRead {
                registerRead = nil
                runRegisterRead(read, sink: &sink)
            }
            return .transacted
        }
        // Earliest deadline first over online devices' reads and offline devices' probes.
        var best = -1
        var bestDeadline = MonotonicInstant(nanoseconds: .max)
        for i in reads.indices {
            let slot = reads[i].slot
            let deadline: MonotonicInstant
            if devices[slot].online {
                deadline = reads[i].deadline
            } else if devices[slot].firstRead == i {
                deadline = devices[slot].probeDeadline
            } else {
                continue
            }
            if deadline < bestDeadline {
                best = i
                bestDeadline = deadline
            }
        }
        guard best >= 0 else { return .idle }
        let due = max(bestDeadline, gapEnd)
        if now < due { return .waitUntil(due) }
        runRead(best, now: now, sink: &sink)
        return .transacted
    }

    // MARK: - Reads

    mutating func runRead<Sink: BusEventSink>(_ index: Int, now: MonotonicInstant, sink: inout Sink) {
        let read = reads[index]
        let slot = read.slot
        let probing = !devices[slot].online
        if !probing && read.attempts == 0 {
            let late = now.nanoseconds(since: read.deadline)
            statistics.polls &+= 1
            statistics.jitterTotalNanoseconds &+= late
            statistics.jitterMaximumNanoseconds = max(statistics.jitterMaximumNanoseconds, late)
        }
        var failure: ModbusError? = nil
        do throws(ModbusError) {
            try transport.read(read.request, of: devices[slot].address, scratch: scratch)
        } catch {
            failure = error
        }
        transport.deliverReceived(into: &sink)
        let end = clock.monotonicNow()
        lastTransactionEnd = end
        let took = end.nanoseconds(since: now)
        statistics.transactions.record(nanoseconds: took, error: failure)
        devices[slot].statistics.record(nanoseconds: took, error: failure)
        let detail = failure.flatMap { noteFailureDetail($0, read: index, sink: &sink) }
        let wall = clock.wallNow()

        guard let error = failure, error.isFailure else {
            // The device answered: good values, or an exception for every point of the read.
            devices[slot].consecutiveFailures = 0
            if probing { bringOnline(slot, at: end, wall: wall, sink: &sink) }
            emitSamples(of: read, quality: failure?.quality ?? .good, time: wall, sink: &sink)
            reschedule(index, after: end)
            return
        }
        devices[slot].consecutiveFailures &+= 1
        if probing {
            let doubled = UInt64(devices[slot].backoffMilliseconds) * 2
            devices[slot].backoffMilliseconds = UInt32(min(doubled, UInt64(bus.probeBackoffMaximumMilliseconds)))
            devices[slot].probeDeadline = end.advanced(byMilliseconds: UInt64(devices[slot].backoffMilliseconds))
            return
        }
        if devices[slot].consecutiveFailures >= UInt32(max(bus.offlineAfterFailures, 1)) {
            emitSamples(of: read, quality: error.quality, time: wall, sink: &sink)
            takeOffline(slot, failedRead: read.request, cause: error, detail: detail, at: end, wall: wall, sink: &sink)
            return
        }
        if read.attempts < bus.retries {
            reads[index].attempts += 1 // retried as soon as the gap allows: its deadline has passed
            return
        }
        emitSamples(of: read, quality: error.quality, time: wall, sink: &sink)
        reschedule(index, after: end)
    }

    /// Keeps the protocol's own cause of a failed read in the statistics and reports it once per
    /// read and cause (a corrupting line or a DI the meter lacks is said once, not every poll).
    /// Returns the detail (nil when the protocol has none for this failure).
    mutating func noteFailureDetail<Sink: BusEventSink>(_ failure: ModbusError, read index: Int, sink: inout Sink) -> FieldFailureDetail? {
        let slot = reads[index].slot
        guard let detail = transport.failureDetail(failure, of: reads[index].request, device: devices[slot].address) else { return nil }
        statistics.transactions.lastFailure = detail
        devices[slot].statistics.lastFailure = detail
        if let reported = reads[index].reportedFailure, reported.isSameCause(as: detail) { return detail }
        reads[index].reportedFailure = detail
        sink.deliver(.readFailure(device: devices[slot].device, detail: detail))
        return detail
    }

    /// Moves a read's deadline to its next period after `end`, counting skipped periods.
    mutating func reschedule(_ index: Int, after end: MonotonicInstant) {
        reads[index].attempts = 0
        let interval = reads[index].intervalNanoseconds
        var next = reads[index].deadline.advanced(byNanoseconds: interval)
        if next <= end {
            let behind = end.nanoseconds(since: next)
            let skipped = behind / interval + 1
            statistics.missedDeadlines &+= skipped
            next = next.advanced(byNanoseconds: skipped * interval)
        }
        reads[index].deadline = next
    }

    mutating func takeOffline<Sink: BusEventSink>(_ slot: Int, failedRead: ReadRequest, cause: ModbusError,
                                                  detail: FieldFailureDetail?, at end: MonotonicInstant,
                                                  wall: WallTime, sink: inout Sink) {
        devices[slot].online = false
        devices[slot].backoffMilliseconds = bus.probeBackoffMinimumMilliseconds
        devices[slot].probeDeadline = end.advanced(byMilliseconds: UInt64(bus.probeBackoffMinimumMilliseconds))
        sink.deliver(.deviceOffline(device: devices[slot].device, time: wall, cause: cause, detail: detail))
        // Every point of the device is now stale: say so once, rather than leaving the last good
        // values standing (the failed read's own points already carry the failure's quality).
        for i in reads.indices where reads[i].slot == slot {
            reads[i].attempts = 0
            if reads[i].request != failedRead { emitSamples(of: reads[i], quality: .offline, time: wall, sink: &sink) }
        }
    }

    mutating func bringOnline<Sink: BusEventSink>(_ slot: Int, at end: MonotonicInstant, wall: WallTime, sink: inout Sink) {
        devices[slot].online = true
        devices[slot].backoffMilliseconds = bus.probeBackoffMinimumMilliseconds
        // Everything of the device is due now (the probe's own read is rescheduled by the caller).
        for i in reads.indices where reads[i].slot == slot {
            reads[i].deadline = end
            reads[i].attempts = 0
        }
        sink.deliver(.deviceOnline(device: devices[slot].device, time: wall))
    }

    func emitSamples<Sink: BusEventSink>(of read: ScheduledRead, quality: Quality, time: WallTime, sink: inout Sink) {
        let slot = read.slot
        let device = devices[slot].device
        let templateIndex = devices[slot].template
        let first = read.request.firstPoint
        for i in first..<(first + read.request.pointCount) {
            let planned = plannedPoints[i]
            let value: PointValue
            if quality.isGood {
                let point = templates[templateIndex].points[planned.point]
                value = transport.decode(point, at: planned.offset, of: read.request, scratch: scratch)
                if device == watchedDevice && planned.point == watchedPoint {
                    // Before the sample: the loop pairs the words with the sample that follows.
                    let words = transport.rawWords(point, at: planned.offset, of: read.request, scratch: scratch)
                    if words.count > 0 { sink.deliver(.traceWords(device: device, point: planned.point, time: time, words: words)) }
                }
            } else {
                value = .uint(0)
            }
            sink.deliver(.sample(Sample(device: device, point: planned.point, value: value, quality: quality, time: time)))
        }
    }

    // MARK: - Writes

    mutating func runWrite<Sink: BusEventSink>(_ write: WriteCommand, sink: inout Sink) {
        var slot = -1
        for i in devices.indices where devices[i].device == write.device { slot = i }
        guard slot >= 0, write.point >= 0, write.point < templates[devices[slot].template].points.count else {
            sink.deliver(.writeCompleted(id: write.id, device: write.device, point: write.point, outcome: .unknownPoint))
            return
        }
        guard devices[slot].online else {
            sink.deliver(.writeCompleted(id: write.id, device: write.device, point: write.point, outcome: .deviceOffline))
            return
        }
        let point = templates[devices[slot].template].points[write.point]
        let start = clock.monotonicNow()
        let result = transport.write(write, point: point, of: devices[slot].address, scratch: scratch)
        transport.deliverReceived(into: &sink)
        let outcome = result.outcome, wireError = result.wireError, touchedWire = result.touchedWire
        if touchedWire {
            let end = clock.monotonicNow()
            lastTransactionEnd = end
            let took = end.nanoseconds(since: start)
            statistics.writes &+= 1
            statistics.transactions.record(nanoseconds: took, error: wireError)
            devices[slot].statistics.record(nanoseconds: took, error: wireError)
        }
        sink.deliver(.writeCompleted(id: write.id, device: write.device, point: write.point, outcome: outcome))
    }

    // MARK: - Commissioning reads

    mutating func runRegisterRead<Sink: BusEventSink>(_ request: RegisterReadRequest, sink: inout Sink) {
        var slot = -1
        for i in devices.indices where devices[i].device == request.device { slot = i }
        guard slot >= 0 else {
            sink.deliver(.registerReadCompleted(id: request.id, device: request.device, outcome: .unknownDevice))
            return
        }
        let start = clock.monotonicNow()
        let result = transport.readRaw(request, template: templates[devices[slot].template], of: devices[slot].address,
                                       scratch: scratch)
        let wireError = result.wireError
        guard result.touchedWire else {
            sink.deliver(.registerReadCompleted(id: request.id, device: request.device, outcome: result.outcome))
            return
        }
        let end = clock.monotonicNow()
        lastTransactionEnd = end
        let took = end.nanoseconds(since: start)
        statistics.transactions.record(nanoseconds: took, error: wireError)
        devices[slot].statistics.record(nanoseconds: took, error: wireError)
        sink.deliver(.registerReadCompleted(id: request.id, device: request.device, outcome: result.outcome))
    }
}
