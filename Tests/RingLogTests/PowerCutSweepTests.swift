import EdgeCore
import Testing
@testable import RingLog

/// The heart of the ring log's promise: cut the power after every single byte (and between every
/// erase and the next write) of a scripted workload covering appends, syncs, acknowledgements,
/// cursor checkpoints, sector rotation, drops and wrap-around; after each cut reopen and check
/// what the issue asks, then prove the log still takes appends without breaking flash rules.
@Suite struct PowerCutSweepTests {
    /// What the workload had done when the power went.
    struct Outcome {
        var payloads: [UInt64: [UInt8]] = [:]
        var durable: UInt64 = 0
        var acknowledged: UInt64 = 0
        var floor: UInt64 = 1
        var lastAppended: UInt64 = 0
        var completed = false
    }

    
    /// Appends 64 records of 1...60 bytes (the 1 KiB device of four 256-byte sectors wraps around
    /// three times),
    /// syncs every 3rd, reads and acknowledges every 5th up to nine behind the durable end
    /// (checkpoint at every acknowledgement), so rotation meets both acknowledged sectors and
    /// sectors it must drop.
    static func run(_ log: inout LogTestSupport.MemoryLog, clock: ManualClock, _ outcome: inout Outcome, salt: UInt64) throws(RingLogError) {
        // What the log dropped counts even when the operation that dropped it is cut.
        defer { outcome.floor = log.oldestSequence }
        for i in 1...64 {
            clock.advance(milliseconds: 7)
            let seq = log.nextAppendSequence
            let payload = LogTestSupport.payload(seq, salt: salt)
            outcome.payloads[seq] = payload
            let got = try LogTestSupport.append(&log, payload)
            precondition(got == seq)
            outcome.lastAppended = seq
            outcome.floor = log.oldestSequence
            if i % 3 == 0 {
                outcome.durable = try log.sync()
            }
            if i % 5 == 0, outcome.durable > 9 {
                let target = outcome.durable - 9
                if target > log.acknowledgedSequence {
                    // The consumer reads before acknowledging.
                    _ = try LogTestSupport.readAll(&log, from: log.acknowledgedSequence + 1)
                    outcome.acknowledged = target
                    try log.acknowledge(upTo: target)
                }
            }
            outcome.floor = log.oldestSequence
            outcome.durable = max(outcome.durable, log.durableSequence ?? 0)
        }
        try log.checkpoint()
        outcome.durable = try log.sync()
        outcome.completed = true
    }

    static func check(_ device: MemoryFlashDevice, _ outcome: Outcome, cut: Int, salt: UInt64) {
        device.restorePower()
        let clock = ManualClock()
        var log: LogTestSupport.MemoryLog
        do throws(RingLogError) {
            log = try RingLog(device: device, clock: clock, options: LogTestSupport.options(checkpointEvery: 1))
        } catch {
            Issue.record("cut \(cut): reopen failed: \(error.message)")
            return
        }
        let records: [(UInt64, [UInt8])]
        do throws(RingLogError) { records = try LogTestSupport.readAll(&log) } catch {
            Issue.record("cut \(cut): read failed: \(error.message)")
            return
        }
        // In order, gap-free, bit-exact, only what was appended.
        var previous: UInt64?
        for (seq, bytes) in records {
            if let previous, seq != previous + 1 { Issue.record("cut \(cut): \(seq) after \(previous)") }
            previous = seq
            guard seq <= outcome.lastAppended, let expected = outcome.payloads[seq] else {
                Issue.record("cut \(cut): record \(seq) was never appended")
                continue
            }
            if bytes != expected { Issue.record("cut \(cut): record \(seq) differs") }
        }
        // Every durable record not legitimately dropped is there.
        let present = Set(records.map(\.0))
        if outcome.durable >= outcome.floor {
            for seq in outcome.floor...outcome.durable where !present.contains(seq) {
                Issue.record("cut \(cut): durable record \(seq) lost (floor \(outcome.floor), durable \(outcome.durable))")
                break
            }
        }
        // The cursor never goes beyond the last acknowledgement.
        if log.acknowledgedSequence > outcome.acknowledged {
            Issue.record("cut \(cut): cursor \(log.acknowledgedSequence) beyond last acknowledgement \(outcome.acknowledged)")
        }
        // Records gone without being acknowledged were counted as dropped, cut or not.
        let oldest = log.oldestSequence
        if oldest > outcome.acknowledged + 1 {
            let gone = oldest - 1 - outcome.acknowledged
            let counted = log.statistics().droppedRecords
            if counted < gone { Issue.record("cut \(cut): \(gone) unacknowledged records gone, \(counted) counted") }
        }
        if records.isEmpty == false && log.nextAppendSequence != records.last!.0 + 1 {
            Issue.record("cut \(cut): next sequence \(log.nextAppendSequence) after newest \(records.last!.0)")
        }
        // The log keeps working after the cut (appends obey the flash rules) and keeps order.
        do throws(RingLogError) {
            let before = log.nextAppendSequence
            for k in 0..<3 { try LogTestSupport.append(&log, LogTestSupport.payload(before + UInt64(k), salt: 99, maxLength: 8)) }
            try log.sync()
            let again = try LogTestSupport.readAll(&log, from: before)
            if again.map(\.0) != Array(before..<(before + 3)) {
                Issue.record("cut \(cut): appends after recovery read back as \(again.map(\.0))")
            }
        } catch {
            Issue.record("cut \(cut): appending after recovery failed: \(error.message)")
        }
    }

    static func sweep(salt: UInt64, dirty: Bool = false, unit: Int = 1, sectorSize: Int = 256,
                      stride step: Int = 1) -> (cuts: Int, total: Int) {
        // Dry run: how many budget units the whole workload uses.
        let dry = LogTestSupport.device(sectorSize: sectorSize, unit: unit)
        var outcome = Outcome()
        do throws(RingLogError) {
            var log = try RingLog(device: dry, clock: ManualClock(), options: LogTestSupport.options(checkpointEvery: 1))
            try run(&log, clock: ManualClock(), &outcome, salt: salt)
            let stats = log.statistics()
            #expect(stats.droppedRecords > 0, "the workload must drop unacknowledged records")
            #expect(stats.checkpointsWritten > 2, "the workload must checkpoint the cursor")
            #expect(stats.records < 64 && stats.acknowledgedSequence > 40, "\(stats)")
        } catch {
            Issue.record("workload failed without a cut: \(error.message)")
            return (0, 0)
        }
        let total = dry.bytesProgrammed + dry.totalErases
        #expect(dry.totalErases >= 8, "the workload must wrap around: \(dry.totalErases) erases")
        var cuts = 0
        for budget in Swift.stride(from: 0, through: total, by: step) {
            let device = LogTestSupport.device(sectorSize: sectorSize, unit: unit)
            device.powerBudget = budget
            if dirty { device.dirtyCutSeed = 0x9E37_79B9 &+ UInt64(budget) }
            var outcome = Outcome()
            let clock = ManualClock()
            do throws(RingLogError) {
                var log = try RingLog(device: device, clock: clock, options: LogTestSupport.options(checkpointEvery: 1))
                try run(&log, clock: clock, &outcome, salt: salt)
            } catch {
                cuts += 1
            }
            check(device, outcome, cut: budget, salt: salt)
        }
        return (cuts, total)
    }

    @Test func powerCutAtEveryByteKeepsEverySyncedRecordAndNothingElse() {
        let (cuts, total) = Self.sweep(salt: 1)
        #expect(total > 2500, "workload too small: \(total)")
        #expect(cuts >= total - 1, "cuts \(cuts) of \(total)")
    }

    /// The same with dirty cuts: the interrupted write leaves half-programmed garbage after what
    /// landed, an interrupted erase leaves a half-erased sector (every 3rd offset, for time).
    @Test func dirtyPowerCutsLeavingGarbageAndHalfErasedSectorsAreSurvived() {
        let (cuts, total) = Self.sweep(salt: 2, dirty: true, stride: 3)
        #expect(cuts >= total / 3 - 1, "cuts \(cuts) of \(total)")
    }

    /// NAND-style geometry: a 64-byte program unit, so every sync pads to a page; cuts at every
    /// 4th offset (padding, page-aligned continuation and recovery's alignment check).
    @Test func powerCutsWithAPageSizedProgramUnit() {
        let (cuts, total) = Self.sweep(salt: 3, unit: 64, sectorSize: 256, stride: 4)
        #expect(cuts >= total / 4 - 1, "cuts \(cuts) of \(total)")
    }
}
