import EdgeCore
import Testing
import RingLogTestSupport
@testable import RingLog

/// The heart of the ring log's promise: cut the power after every single byte (and between every
/// erase and the next write) of a scripted workload covering appends, syncs, acknowledgements,
/// cursor checkpoints, sector rotation, drops and wrap-around; after each cut reopen and check
/// what the issue asks, then prove the log still takes appends without breaking flash rules.
@Suite struct PowerCutSweepTests {
    typealias Outcome = PowerCutOutcome

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

    static func check(_ device: MemoryFlashDevice, _ outcome: Outcome, cut: Int) {
        var log: LogTestSupport.MemoryLog
        do throws(RingLogError) {
            log = try RingLog(device: device, clock: ManualClock(), options: PowerCutSweep.options())
        } catch {
            Issue.record("cut \(cut): reopen failed: \(error.message)")
            return
        }
        for problem in PowerCutSweep.checkRecords(&log, outcome).problems { Issue.record("cut \(cut): \(problem)") }
        if let problem = PowerCutSweep.checkAppendsAfterRecovery(&log) { Issue.record("cut \(cut): \(problem)") }
    }

    static func sweep(salt: UInt64, dirty: Bool = false, unit: Int = 1, sectorSize: Int = 256,
                      stride step: Int = 1) -> (cuts: Int, total: Int) {
        let result = PowerCutSweep.sweep(unit: unit, sectorSize: sectorSize, dirty: dirty, stride: step,
            workload: { device, outcome throws(RingLogError) in
                let clock = ManualClock()
                var log = try RingLog(device: device, clock: clock, options: PowerCutSweep.options())
                try run(&log, clock: clock, &outcome, salt: salt)
                return log.statistics()
            },
            check: { device, outcome, cut in check(device, outcome, cut: cut) })
        switch result {
        case .failure(let error):
            Issue.record("workload failed without a cut: \(error.message)")
            return (0, 0)
        case .success(let sweep):
            let stats = sweep.uncut
            #expect(stats.droppedRecords > 0, "the workload must drop unacknowledged records")
            #expect(stats.checkpointsWritten > 2, "the workload must checkpoint the cursor")
            #expect(stats.records < 64 && stats.acknowledgedSequence > 40, "\(stats)")
            #expect(sweep.device.totalErases >= 8, "the workload must wrap around: \(sweep.device.totalErases) erases")
            return (sweep.cuts, sweep.total)
        }
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
