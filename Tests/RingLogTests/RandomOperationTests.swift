import EdgeCore
import Testing
import RingLogTestSupport
@testable import RingLog

/// Random sequences of append, sync, acknowledge, read, tick, crash-and-reopen and clean
/// reopen, checked after every step against a model that is just a dictionary of what was
/// appended plus the durable, acknowledged and dropped boundaries.
@Suite struct RandomOperationTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static func runOne(seed: UInt64, steps: Int, policy: FullPolicy) throws {
        var rng = Generator(state: seed | 1)
        let device = LogTestSupport.device(sectors: 5, sectorSize: 512)
        let clock = ManualClock()
        var options = LogTestSupport.options(checkpointEvery: 3, whenFull: policy)
        options.syncIntervalMilliseconds = 50
        var log = try LogTestSupport.MemoryLog(device: device, clock: clock, options: options)
        var model: [UInt64: [UInt8]] = [:]
        var durable: UInt64 = 0
        var acknowledged: UInt64 = 0
        var dropped: UInt64 = 0
        for step in 0..<steps {
            let label = "seed \(seed) step \(step)"
            switch rng.below(20) {
            case 0..<10:
                let seq = log.nextAppendSequence
                let payload = LogTestSupport.payload(seq, salt: seed, maxLength: 1 + rng.below(120))
                do throws(RingLogError) {
                    #expect(try LogTestSupport.append(&log, payload) == seq, "\(label)")
                    model[seq] = payload
                } catch {
                    #expect(policy == .refuseAppends && error.kind == .full, "\(label): \(error.message)")
                }
            case 10..<12:
                durable = try log.sync()
            case 12..<14:
                // The consumer lags: it acknowledges part of what is there, sometimes.
                if durable > acknowledged && rng.below(3) == 0 {
                    let target = acknowledged + 1 + UInt64(rng.below(Int(durable - acknowledged)))
                    try log.acknowledge(upTo: target)
                    acknowledged = target
                }
            case 14..<16:
                clock.advance(milliseconds: UInt64(rng.below(80)))
                try log.tick()
            case 16:
                // Crash: nothing more reaches the device; unsynced appends are gone.
                log = try LogTestSupport.MemoryLog(device: device, clock: clock, options: options)
                #expect(log.acknowledgedSequence <= acknowledged, "\(label): cursor beyond the last acknowledgement")
                acknowledged = log.acknowledgedSequence
                for seq in model.keys where seq >= log.nextAppendSequence { model[seq] = nil }
            case 17:
                try log.checkpoint()
                try log.sync()
                log = try LogTestSupport.MemoryLog(device: device, clock: clock, options: options)
                // Refusing appends, a full log may have no room left for a second checkpoint in
                // its head sector: the cursor may then come back earlier (never later).
                if policy == .dropOldest {
                    #expect(log.acknowledgedSequence == acknowledged, "\(label): clean reopen lost the cursor")
                }
                #expect(log.acknowledgedSequence <= acknowledged, "\(label)")
                acknowledged = log.acknowledgedSequence
            default:
                break
            }
            durable = log.durableSequence ?? 0
            // Drops: every unacknowledged record below the oldest is counted.
            let oldest = log.oldestSequence
            for seq in model.keys.sorted() where seq < oldest {
                if seq > acknowledged { dropped += 1 }
                model[seq] = nil
            }
            let stats = log.statistics()
            #expect(stats.droppedRecords == dropped, "\(label): drops \(stats.droppedRecords) vs model \(dropped)")
            if policy == .refuseAppends { #expect(dropped == 0, "\(label)") }
            // Contents: exactly the model's durable records, in order, bit-exact.
            let records = try LogTestSupport.readAll(&log)
            let expected = model.keys.filter { $0 <= durable }.sorted()
            #expect(records.map(\.0) == expected, "\(label)")
            for (seq, bytes) in records where bytes != model[seq] { Issue.record("\(label): record \(seq) differs") }
            #expect(stats.unacknowledgedRecords == UInt64(model.keys.filter { $0 > acknowledged }.count), "\(label)")
        }
        // The run must have covered wrap-around and the full policy.
        #expect(device.totalErases > 10, "seed \(seed): only \(device.totalErases) erases")
        if policy == .dropOldest { #expect(dropped > 0, "seed \(seed): nothing dropped") }
        if policy == .refuseAppends { #expect(log.statistics().refusedAppends > 0 || device.totalErases > 10) }
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomOperationsMatchTheModelWhenDroppingOldest(seed: UInt64) throws {
        try Self.runOne(seed: seed, steps: 400, policy: .dropOldest)
    }

    @Test(arguments: [5, 6] as [UInt64])
    func randomOperationsMatchTheModelWhenRefusingAppends(seed: UInt64) throws {
        try Self.runOne(seed: seed, steps: 400, policy: .refuseAppends)
    }
}
