import EdgeCore
import RingLog

/// What a power-cut workload had done when the power went: every payload it appended (by
/// sequence), the newest sequence it saw durable, its last acknowledgement, the oldest sequence
/// the log still held (what it dropped counts even when the operation that dropped it is cut).
public struct PowerCutOutcome {
    public var payloads: [UInt64: [UInt8]] = [:]
    public var durable: UInt64 = 0
    public var acknowledged: UInt64 = 0
    public var floor: UInt64 = 1
    public var lastAppended: UInt64 = 0
    public var completed = false

    public init() {}
}

/// The ring log's power-cut sweep, shared by the ring log's own workload (RingLogTests'
/// `PowerCutSweepTests`) and by workloads of the records the agent stores in it (AgentTests'
/// `AlarmRecordPowerCutSweepTests`): run a workload once uncut to count the bytes it programs and
/// the sectors it erases, then once per cut on a fresh device whose power goes after that many
/// units (so after every byte, and between every erase and the next write); `check` then reopens
/// and checks. Problems come back as sentences, for the caller to record with its seed and cut.
public enum PowerCutSweep {
    /// The options the sweeps open their log with (a checkpoint at every acknowledgement).
    public static func options() -> RingLogOptions { LogTestSupport.options(checkpointEvery: 1) }

    /// Runs `workload` uncut (its statistics and device come back for the caller's checks that it
    /// did what the sweep needs), then once per `stride`-th cut, each followed by `check` (device
    /// with its power back is the caller's to reopen). Nil (with the error) when the uncut run fails.
    public static func sweep(unit: Int = 1, sectorSize: Int = 256, dirty: Bool = false, stride step: Int = 1,
                             workload: (MemoryFlashDevice, inout PowerCutOutcome) throws(RingLogError) -> RingLogStats,
                             check: (MemoryFlashDevice, PowerCutOutcome, _ cut: Int) -> Void)
        -> Result<(cuts: Int, total: Int, uncut: RingLogStats, device: MemoryFlashDevice), RingLogError> {
        let dry = LogTestSupport.device(sectorSize: sectorSize, unit: unit)
        var outcome = PowerCutOutcome()
        let stats: RingLogStats
        do throws(RingLogError) { stats = try workload(dry, &outcome) } catch { return .failure(error) }
        let total = dry.bytesProgrammed + dry.totalErases
        var cuts = 0
        for budget in Swift.stride(from: 0, through: total, by: step) {
            let device = LogTestSupport.device(sectorSize: sectorSize, unit: unit)
            device.powerBudget = budget
            if dirty { device.dirtyCutSeed = 0x9E37_79B9 &+ UInt64(budget) }
            var outcome = PowerCutOutcome()
            do throws(RingLogError) { _ = try workload(device, &outcome) } catch { cuts += 1 }
            device.restorePower()
            check(device, outcome, budget)
        }
        return .success((cuts, total, stats, dry))
    }

    /// The log's promises after a cut, on the reopened `log`: what it holds is in order and
    /// gap-free, bit-exact and only what was appended; every durable record not legitimately
    /// dropped is there; the cursor is not beyond the last acknowledgement; records gone
    /// unacknowledged were counted as dropped; the next sequence follows the newest record.
    /// Returns the records read and the problems found.
    public static func checkRecords<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, ManualClock>, _ outcome: PowerCutOutcome)
        -> (records: [(UInt64, [UInt8])], problems: [String]) {
        var problems: [String] = []
        let records: [(UInt64, [UInt8])]
        do throws(RingLogError) { records = try LogTestSupport.readAll(&log) } catch {
            return ([], ["read failed: \(error.message)"])
        }
        var previous: UInt64?
        for (seq, bytes) in records {
            if let previous, seq != previous + 1 { problems.append("\(seq) after \(previous)") }
            previous = seq
            guard seq <= outcome.lastAppended, let expected = outcome.payloads[seq] else {
                problems.append("record \(seq) was never appended")
                continue
            }
            if bytes != expected { problems.append("record \(seq) differs") }
        }
        let present = Set(records.map(\.0))
        if outcome.durable >= outcome.floor {
            for seq in outcome.floor...outcome.durable where !present.contains(seq) {
                problems.append("durable record \(seq) lost (floor \(outcome.floor), durable \(outcome.durable))")
                break
            }
        }
        if log.acknowledgedSequence > outcome.acknowledged {
            problems.append("cursor \(log.acknowledgedSequence) beyond last acknowledgement \(outcome.acknowledged)")
        }
        let oldest = log.oldestSequence
        if oldest > outcome.acknowledged + 1 {
            let gone = oldest - 1 - outcome.acknowledged
            let counted = log.statistics().droppedRecords
            if counted < gone { problems.append("\(gone) unacknowledged records gone, \(counted) counted") }
        }
        if let newest = records.last?.0, log.nextAppendSequence != newest + 1 {
            problems.append("next sequence \(log.nextAppendSequence) after newest \(newest)")
        }
        return (records, problems)
    }

    /// The log keeps working after the cut: three appends obey the flash rules, sync, and read
    /// back in order. The problem found, if any.
    public static func checkAppendsAfterRecovery<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, ManualClock>) -> String? {
        do throws(RingLogError) {
            let before = log.nextAppendSequence
            for k in 0..<3 {
                let bytes = LogTestSupport.payload(before + UInt64(k), salt: 99, maxLength: 8)
                let result: Result<UInt64, RingLogError> = bytes.withUnsafeBytes { raw in
                    do throws(RingLogError) { return .success(try log.append(raw)) } catch { return .failure(error) }
                }
                _ = try result.get()
            }
            _ = try log.sync()
            let again = try LogTestSupport.readAll(&log, from: before)
            if again.map(\.0) != Array(before..<(before + 3)) {
                return "appends after recovery read back as \(again.map(\.0))"
            }
            return nil
        } catch {
            return "appending after recovery failed: \(error.message)"
        }
    }
}
