import EdgeCore
import FieldBus

/// Simulated devices behind a fake bus: register tables per unit, dead units, scripted failures,
/// and a transaction log. A class so that the test and the transport share it.
final class FakeField {
    struct Transaction: Equatable {
        var unit: UInt8
        var function: UInt8
        var address: UInt16
        var count: UInt16
        var start: UInt64
        var end: UInt64
    }

    let clock: ManualClock
    // unit → 65536 registers (input and holding alike) and coils; buffers so that the fake
    // itself allocates nothing per transaction.
    var registers = [UnsafeMutableBufferPointer<UInt16>?](repeating: nil, count: 256)
    var coils = [UnsafeMutableBufferPointer<UInt8>?](repeating: nil, count: 256)
    var dead: Set<UInt8> = [] { didSet { for u in 0..<256 { deadFlags[u] = dead.contains(UInt8(u)) } } }
    var deadFlags = [Bool](repeating: false, count: 256)
    var exceptionFor: [UInt8: UInt8] = [:]     // unit → exception code on every request
    var scripted: [ModbusError] = []           // next failures, in order, for any unit
    /// Simulated time a transaction takes, and a timeout.
    var transactionNanoseconds: UInt64 = 10_000_000
    var timeoutNanoseconds: UInt64 = 500_000_000
    var logging = true
    var log: [Transaction] = []
    var transactions = 0

    init(clock: ManualClock) { self.clock = clock }

    func addUnit(_ unit: UInt8) {
        let r = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: 65536)
        r.initialize(repeating: 0)
        let c = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65536)
        c.initialize(repeating: 0)
        registers[Int(unit)] = r
        coils[Int(unit)] = c
    }

    deinit {
        for r in registers { r?.deallocate() }
        for c in coils { c?.deallocate() }
    }

    func begin(_ unit: UInt8, _ function: UInt8, _ address: UInt16, _ count: UInt16) throws(ModbusError) {
        let start = clock.monotonicNow().nanoseconds
        transactions += 1
        var failure: ModbusError? = nil
        if deadFlags[Int(unit)] || registers[Int(unit)] == nil {
            failure = .timeout
        } else if !scripted.isEmpty {
            failure = scripted.removeFirst()
        } else if let code = exceptionFor[unit] {
            failure = .exception(code)
        }
        clock.advance(nanoseconds: failure == .timeout ? timeoutNanoseconds : transactionNanoseconds)
        if logging {
            log.append(Transaction(unit: unit, function: function, address: address, count: count,
                                   start: start, end: clock.monotonicNow().nanoseconds))
        }
        if let failure { throw failure }
    }
}

/// A `ModbusTransport` over `FakeField`.
struct FakeBus: ModbusTransport {
    let field: FakeField

    mutating func readRegisters(unit: UInt8, table: RegisterTable, address: UInt16, count: UInt16,
                                into registers: UnsafeMutableBufferPointer<UInt16>) throws(ModbusError) {
        try field.begin(unit, table == .holdingRegister ? 3 : 4, address, count)
        for i in 0..<Int(count) { registers[i] = field.registers[Int(unit)]![Int(address) + i] }
    }

    mutating func readBits(unit: UInt8, table: RegisterTable, address: UInt16, count: UInt16,
                           into bits: UnsafeMutableBufferPointer<UInt8>) throws(ModbusError) {
        try field.begin(unit, table == .coil ? 1 : 2, address, count)
        for i in 0..<Int(count) { bits[i] = field.coils[Int(unit)]![Int(address) + i] }
    }

    mutating func writeRegister(unit: UInt8, address: UInt16, value: UInt16) throws(ModbusError) {
        try field.begin(unit, 6, address, 1)
        field.registers[Int(unit)]![Int(address)] = value
    }

    mutating func writeRegisters(unit: UInt8, address: UInt16, values: UnsafeBufferPointer<UInt16>) throws(ModbusError) {
        try field.begin(unit, 16, address, UInt16(values.count))
        for i in values.indices { field.registers[Int(unit)]![Int(address) + i] = values[i] }
    }

    mutating func writeCoil(unit: UInt8, address: UInt16, value: Bool) throws(ModbusError) {
        try field.begin(unit, 5, address, 1)
        field.coils[Int(unit)]![Int(address)] = value ? 1 : 0
    }

    mutating func writeCoils(unit: UInt8, address: UInt16, values: UnsafeBufferPointer<UInt8>) throws(ModbusError) {
        try field.begin(unit, 15, address, UInt16(values.count))
        for i in values.indices { field.coils[Int(unit)]![Int(address) + i] = values[i] }
    }
}

/// Collects events in an array.
struct EventRecorder: BusEventSink {
    var events: [BusEvent] = []
    mutating func deliver(_ event: BusEvent) { events.append(event) }

    var samples: [Sample] {
        events.compactMap { if case .sample(let s) = $0 { return s } else { return nil } }
    }
}

/// Counts events without storing them (for allocation tests).
struct CountingSink: BusEventSink {
    var samples = 0
    var good = 0
    var other = 0
    mutating func deliver(_ event: BusEvent) {
        if case .sample(let s) = event {
            samples += 1
            if s.quality == .good { good += 1 }
        } else {
            other += 1
        }
    }
}

extension BusScheduler where Transport == FakeBus, Clock == ManualClock {
    /// Steps the scheduler, advancing the manual clock to each wait, until `until` (ms from now).
    mutating func run<Sink: BusEventSink>(forMilliseconds ms: UInt64, sink: inout Sink) {
        let limit = clock.monotonicNow().advanced(byMilliseconds: ms)
        while clock.monotonicNow() < limit {
            switch step(sink: &sink) {
            case .transacted: continue
            case .waitUntil(let t):
                let target = min(t, limit)
                clock.advance(nanoseconds: target.nanoseconds(since: clock.monotonicNow()))
            case .idle:
                clock.advance(nanoseconds: limit.nanoseconds(since: clock.monotonicNow()))
            }
        }
    }
}
