import CShim
import EdgeCore
import FieldBus
import Foundation
import Testing
import TestSupport

/// The whole bus path against pymodbus over TCP: a scheduler on its own thread (BusWorker) with
/// real libmodbus I/O, events through the SPSC queue and wake-up fd; and the steady state of a
/// scheduler over libmodbus allocating nothing.
@Suite struct BusWorkerTests {
    static let template = DeviceTemplate(name: "t", points: [
        PointDefinition(identifier: "r0", table: .holdingRegister, address: 0, dataType: .uint16),
        PointDefinition(identifier: "r1", table: .holdingRegister, address: 1, dataType: .uint16),
        PointDefinition(identifier: "f", table: .holdingRegister, address: 1114, dataType: .float32, order: .cdab),
        PointDefinition(identifier: "w", table: .holdingRegister, address: 50, dataType: .int32, writable: true),
        PointDefinition(identifier: "c", table: .coil, address: 3, dataType: .bool),
    ], limits: DeviceLimits(registerGap: 0), defaultIntervalMilliseconds: 100)

    static func scheduler(_ slave: ModbusSlaveProcess, units: [UInt8], retries: UInt8 = 0,
                          offlineAfter: UInt8 = 2) throws -> BusScheduler<ModbusConnection, SystemClock> {
        let transport: BusTransportSettings = slave.link == .tcp
            ? .tcp(TCPSettings(host: "127.0.0.1", port: slave.port))
            : .serial(SerialSettings(path: slave.devicePath, baud: 115200))
        let bus = BusDefinition(name: "bus", transport: transport,
                                responseTimeoutMilliseconds: 200, retries: retries, offlineAfterFailures: offlineAfter,
                                probeBackoffMinimumMilliseconds: 500, probeBackoffMaximumMilliseconds: 2000)
        let devices = units.map { DeviceDefinition(name: "u\($0)", template: 0, unitId: $0, bus: 0) }
        return try BusScheduler(bus: bus, busIndex: 0, templates: [template], devices: devices,
                                transport: try ModbusConnection(bus: bus), clock: SystemClock())
    }

    /// Drains the worker's events into `events` until `done(events)` holds (checked after each
    /// wake-up) or `seconds` pass: progress is waited for, never assumed from elapsed time, so a
    /// slow or loaded machine takes longer instead of failing; the expectations afterwards still
    /// fail if it never comes. `tick` runs on every turn (to submit writes and the like).
    static func collect<T: ModbusTransport & ~Copyable, C: EdgeClock>(_ worker: BusWorker<T, C>, into events: inout [BusEvent], seconds: Double = 20,
                        tick: (inout [BusEvent]) -> Void = { _ in }, until done: ([BusEvent]) -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if edge_poll_in(worker.eventFD, 100) > 0 { worker.drain { events.append($0) } }
            tick(&events)
            if done(events) { return }
        }
    }

    @Test func busThreadDeliversSamplesStateChangesAndWriteResults() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        let worker = try BusWorker(scheduler: try Self.scheduler(slave, units: [1, 2, 4]))
        try worker.start()
        var events: [BusEvent] = []
        var submitted = false
        // Until ≥ 10 good cycles of device 0, device 2 timed out and went offline, and the write
        // was confirmed and read back (bounded: 20 s).
        Self.collect(worker, into: &events, tick: { events in
            if !submitted && events.count > 10 {
                submitted = worker.submit(WriteCommand(id: 42, device: 1, point: 3, value: .int(-7), verify: true))
            }
        }, until: { events in
            var good0 = 0, timeout2 = false, offline2 = false, written = false, readBack = false
            for event in events {
                switch event {
                case .sample(let s):
                    if s.device == 0 && s.quality == .good { good0 += 1 }
                    if s.device == 2 && s.quality == .timeout { timeout2 = true }
                    if s.device == 1 && s.point == 3 && s.value == .int(-7) { readBack = true }
                case .deviceOffline(device: 2, _, _, _): offline2 = true
                case .writeCompleted(id: 42, _, _, _): written = true
                default: break
                }
            }
            return good0 >= 5 * 10 && timeout2 && offline2 && written && readBack
        })
        worker.requestStatistics()
        var snapshot: BusStatistics? = nil
        var devices: [Int: (Bool, TransactionStatistics)] = [:]
        let statsDeadline = Date().addingTimeInterval(10)
        while Date() < statsDeadline && (snapshot == nil || devices.count < 3) {
            if edge_poll_in(worker.eventFD, 100) > 0 {
                worker.drain { event in
                    events.append(event)
                    switch event {
                    case .busStatistics(let s, _): snapshot = s
                    case .deviceStatistics(let d, let online, let s): devices[d] = (online, s)
                    default: break
                    }
                }
            }
        }
        worker.stop()
        worker.drain { events.append($0) }
        // The snapshot taken while running: per-device state and counters.
        #expect(snapshot != nil)
        #expect(devices[0]?.0 == true && devices[2]?.0 == false)
        #expect((devices[0]?.1.responses ?? 0) > 5 && (devices[2]?.1.timeouts ?? 0) >= 2)
        #expect((snapshot?.transactions.requests ?? 0) >= (devices[0]?.1.requests ?? 0) + (devices[2]?.1.requests ?? 0))
        let samples = events.compactMap { if case .sample(let s) = $0 { return s } else { return nil } }
        let good1 = samples.filter { $0.device == 0 && $0.quality == .good }
        #expect(good1.count >= 5 * 10)     // ≥ 10 cycles of 5 points at 100 ms
        #expect(good1.contains { $0.point == 0 && $0.value == .uint(1000) })
        #expect(good1.contains { $0.point == 2 && $0.value == .double(3.25) })
        #expect(samples.contains { $0.device == 1 && $0.point == 3 && $0.value == .int(-7) })
        #expect(samples.contains { $0.device == 2 && $0.quality == .timeout })
        #expect(events.contains { if case .deviceOffline(device: 2, _, _, _) = $0 { return true } else { return false } })
        #expect(events.contains(.writeCompleted(id: 42, device: 1, point: 3, outcome: .ok)))
        #expect(worker.droppedEvents.load(ordering: .relaxed) == 0)
        let stats = worker.withScheduler { $0.statistics }
        #expect((stats?.transactions.timeouts ?? 0) >= 2)
        #expect((stats?.transactions.responses ?? 0) > 20)
    }

    @Test func rtuSchedulerRetriesAFlakyUnitAndCountsCRCErrors() throws {
        let slave = try ModbusSlaveProcess(.rtu)
        defer { slave.stop() }
        // Unit 7 drops every second reply and corrupts every third one's CRC: with one retry
        // and offline after 3 failures it never goes offline.
        let worker = try BusWorker(scheduler: try Self.scheduler(slave, units: [1, 7], retries: 1, offlineAfter: 3))
        try worker.start()
        var events: [BusEvent] = []
        // Until every expected kind of sample arrived and the running statistics (asked for every
        // ~0.5 s) show unit 7's CRC errors and timeouts (bounded: 20 s).
        var turns = 0, scanned = 0
        var flakyCounted = false
        Self.collect(worker, into: &events, tick: { events in
            turns += 1
            if turns % 5 == 0 { worker.requestStatistics() }
            for event in events[scanned...] {
                if case .deviceStatistics(1, _, let s) = event, s.crcErrors >= 1, s.timeouts >= 1 { flakyCounted = true }
            }
            scanned = events.count
        }, until: { events in
            var healthy = (r1: false, f: false, c: false), flakyGood = false, flakyCRC = false
            for case .sample(let s) in events {
                if s.device == 0 && s.point == 1 && s.value == .uint(1001) && s.quality == .good { healthy.r1 = true }
                if s.device == 0 && s.point == 2 && s.value == .double(3.25) { healthy.f = true }
                if s.device == 0 && s.point == 4 && s.value == .bool(true) { healthy.c = true }
                if s.device == 1 && s.quality == .good { flakyGood = true }
                if s.device == 1 && s.quality == .crcError { flakyCRC = true }
            }
            return healthy.r1 && healthy.f && healthy.c && flakyGood && flakyCRC && flakyCounted
        })
        worker.stop()
        worker.drain { events.append($0) }
        let samples = events.compactMap { if case .sample(let s) = $0 { return s } else { return nil } }
        // Unit 1 (device 0) is healthy; unit 7 (device 1) gives good values between failures,
        // and a read whose retry also failed reports its CRC error as the quality.
        #expect(samples.contains { $0.device == 0 && $0.point == 1 && $0.value == .uint(1001) && $0.quality == .good })
        #expect(samples.contains { $0.device == 0 && $0.point == 2 && $0.value == .double(3.25) })
        #expect(samples.contains { $0.device == 0 && $0.point == 4 && $0.value == .bool(true) })
        #expect(samples.contains { $0.device == 1 && $0.quality == .good })
        #expect(samples.contains { $0.device == 1 && $0.quality == .crcError })
        #expect(!events.contains { if case .deviceOffline = $0 { return true } else { return false } })
        let stats = worker.withScheduler { ($0.statistics, $0.devices[1].statistics) }
        #expect((stats?.1.crcErrors ?? 0) >= 1)
        #expect((stats?.1.timeouts ?? 0) >= 1)
        #expect((stats?.0.transactions.crcErrors ?? 0) == (stats?.1.crcErrors ?? 0))
    }

    @Test func pollCyclesOverLibmodbusAllocateNothing() throws {
        let slave = try ModbusSlaveProcess(.tcp)
        defer { slave.stop() }
        var s = try Self.scheduler(slave, units: [1, 2, 7])
        var sink = CountingSink()
        // Steps for at least `seconds`, then until `done` or 20 s in all.
        func run(seconds: Double, until done: () -> Bool) {
            let start = Date()
            while Date() < start.addingTimeInterval(seconds) || (!done() && Date() < start.addingTimeInterval(20)) {
                switch s.step(sink: &sink) {
                case .transacted: continue
                case .waitUntil(let t):
                    let ns = t.nanoseconds(since: s.clock.monotonicNow())
                    edge_sleep_ns(min(ns, 50_000_000))
                case .idle: edge_sleep_ns(10_000_000)
                }
            }
        }
        // Warm-up: connect, a few good cycles, the flaky unit's first timeout.
        run(seconds: 0.5) { sink.good >= 2 * 5 && s.statistics.transactions.timeouts > 0 }
        let before = sink.good
        let counted = ThrowHooks.suspended {
            AllocationCounter.count {
                // At least 0.7 s, then until 5 more good cycles of each healthy unit arrived
                // (bounded: 20 s). Date() allocates nothing, but keep the loop free of Foundation.
                let start = edge_monotonic_ns()
                while edge_monotonic_ns() < start + 700_000_000
                        || (sink.good - before < 2 * 5 * 5 && edge_monotonic_ns() < start + 20_000_000_000) {
                    switch s.step(sink: &sink) {
                    case .transacted: continue
                    case .waitUntil(let t): edge_sleep_ns(min(t.nanoseconds(since: s.clock.monotonicNow()), 50_000_000))
                    case .idle: edge_sleep_ns(10_000_000)
                    }
                }
            }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(sink.good - before >= 2 * 5 * 5)
        #expect(s.statistics.transactions.timeouts > 0)   // the flaky unit dropped replies
    }
}
