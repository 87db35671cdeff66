import Configuration
import EdgeAlarms
import EdgeCompute
import EdgeCore
import FieldBus

/// The agent's alarm rules at work (issue 14): the inputs the rules read (latest value, quality
/// and good-sample time of each slot, each device's online state), kept from the samples as
/// they are delivered, derived points included; the evaluator; and the record buffer. `evaluate`
/// runs after each batch of bus events that brought samples (at the newest sample's time, so a
/// raise carries the time its condition was met), and otherwise at the wall clock when an on- or
/// off-delay ends (`millisecondsUntilDue`, which the loop waits for) and at least once a second
/// (stale data, offline devices). Sized at init; `observe` and `evaluate` allocate nothing.
public final class AlarmStation {
    public private(set) var evaluator: AlarmEvaluator
    let slotBase: [Int]
    let values: UnsafeMutableBufferPointer<Double>
    let qualities: UnsafeMutableBufferPointer<InputQuality>
    let times: UnsafeMutableBufferPointer<Int64>
    let online: UnsafeMutableBufferPointer<Bool>
    let record: UnsafeMutableRawBufferPointer
    /// Samples arrived since the last evaluation; the newest of their times.
    var fresh = false
    var newestSample: Int64 = Int64.min
    /// The time of the last evaluation (evaluations never go back in time).
    public private(set) var lastEvaluation: Int64 = Int64.min
    /// Raises and clears recorded since start.
    public private(set) var raises: UInt64 = 0
    public private(set) var clears: UInt64 = 0
    /// Per rule: its last raise or clear (the `AlarmRecord`: kind, time and captured values), for
    /// the console and for "still active" copies; each slot sized to the rule's records.
    public let recordSlots: AlarmRecordSlots
    let lastRecords: UnsafeMutableRawBufferPointer
    /// Per rule: the ring-log sequence number of its newest raise (or "still active" copy of it),
    /// 0 when unknown; the log's `reclaimHorizon` when they were last checked.
    let raiseSequences: UnsafeMutableBufferPointer<UInt64>
    var checkedHorizon: UInt64 = 0
    /// "Still active" copies appended since start.
    public private(set) var restatements: UInt64 = 0

    /// The evaluation period without samples (delays, stale data, offline devices).
    public static let idleIntervalMilliseconds: Int64 = 1_000

    public init(_ settings: AlarmSettings, devices: Int) {
        evaluator = AlarmEvaluator(rules: settings.rules)
        rules = settings.rules
        slotBase = settings.slotBase
        let n = max(settings.slotCount, 1)
        values = .allocate(capacity: n)
        values.initialize(repeating: 0)
        qualities = .allocate(capacity: n)
        qualities.initialize(repeating: .bad)
        times = .allocate(capacity: n)
        times.initialize(repeating: Int64.min)
        online = .allocate(capacity: max(devices, 1))
        online.initialize(repeating: true)
        record = .allocate(byteCount: AlarmRecord.maximumSize, alignment: 8)
        let rules = max(settings.rules.count, 1)
        recordSlots = AlarmRecordSlots(settings.rules)
        lastRecords = .allocate(byteCount: max(recordSlots.byteCount, 1), alignment: 8)
        lastRecords.initializeMemory(as: UInt8.self, repeating: 0)
        raiseSequences = .allocate(capacity: rules)
        raiseSequences.initialize(repeating: 0)
    }

    deinit {
        values.deallocate()
        qualities.deallocate()
        times.deallocate()
        online.deallocate()
        record.deallocate()
        lastRecords.deallocate()
        raiseSequences.deallocate()
    }

    /// True when there are rules at all (otherwise the loop skips this altogether).
    public var isActive: Bool { rules.count > 0 }

    /// The rules (a copy of the evaluator's, readable while it runs: a transition's handler may
    /// look its rule up without an access conflict).
    public let rules: AlarmRuleSet

    var inputs: AlarmInputs {
        AlarmInputs(values: UnsafeBufferPointer(values), qualities: UnsafeBufferPointer(qualities),
                    times: UnsafeBufferPointer(times), online: UnsafeBufferPointer(online))
    }

    /// Takes a delivered sample (reported or suppressed: the rules see every value).
    public func observe(_ sample: Sample) {
        guard sample.device >= 0, sample.device < slotBase.count, sample.point >= 0 else { return }
        let s = slotBase[sample.device] + sample.point
        guard s < values.count else { return }
        let numeric = sample.value.numeric
        let good = sample.quality.isGood && numeric?.isFinite == true
        values[s] = numeric ?? 0
        qualities[s] = good ? .good : .bad
        if good { times[s] = sample.time.milliseconds }
        fresh = true
        newestSample = max(newestSample, sample.time.milliseconds)
    }

    public func setOnline(_ device: Int, _ isOnline: Bool) {
        guard device >= 0, device < online.count else { return }
        online[device] = isOnline
        fresh = true
    }

    /// Evaluates the rules when due (samples arrived, or a second has passed at `wallNow`); each
    /// raise or clear is encoded (`AlarmRecord`) and handed to `append` with its time, which
    /// stores it and returns its ring-log sequence number (nil: not stored), which
    /// `keepActiveRaises` watches.
    public func evaluateAndStoreIfDue(wallNow: Int64, _ append: (UnsafeRawBufferPointer, WallTime) -> UInt64?) {
        guard isActive else { return }
        var now: Int64
        if fresh {
            now = newestSample == Int64.min ? wallNow : newestSample
        } else {
            guard lastEvaluation == Int64.min || wallNow &- lastEvaluation >= Self.idleIntervalMilliseconds
                    || wallNow >= evaluator.nextDeadline else { return }
            now = wallNow
        }
        now = max(now, lastEvaluation)
        fresh = false
        newestSample = Int64.min
        lastEvaluation = now
        let inputs = self.inputs
        let record = self.record
        let rules = self.rules
        evaluator.evaluate(at: WallTime(milliseconds: now), inputs: inputs) { transition in
            guard let n = AlarmRecord.encode(transition, rules: rules, inputs: inputs, into: record) else { return }
            let bytes = UnsafeRawBufferPointer(rebasing: record[0..<n])
            self.remember(transition, bytes)
            let sequence = append(bytes, WallTime(milliseconds: transition.timeMilliseconds))
            if transition.kind == .raise { self.raiseSequences[transition.rule] = sequence ?? 0 }
        }
    }

    /// Milliseconds from `wallNow` until an on- or off-delay ends (0: now), nil when none runs:
    /// the loop wakes then, so that a raise is appended when its delay ends, not at the next
    /// sample (an on-delay that is not a multiple of the poll period).
    public func millisecondsUntilDue(wallNow: Int64) -> Int? {
        let deadline = evaluator.nextDeadline
        // A deadline an evaluation has already reached (it moves when the rule leaves its
        // pending or clearing state) never makes the loop wake at once again: no spinning.
        guard isActive, deadline != Int64.max, lastEvaluation == Int64.min || deadline > lastEvaluation else { return nil }
        return deadline <= wallNow ? 0 : Int(clamping: deadline &- wallNow)
    }

    /// Keeps each active alarm's raise in the ring log: when the log is about to reclaim the
    /// sector of a raise (its sequence number is below `horizon`, the log's `reclaimHorizon`), a
    /// "still active" copy of it is handed to `append` (with the raise's time), so that a restart
    /// still finds the alarm active however long it stays raised. Checked when the horizon moved
    /// (the log changed sectors); allocates nothing.
    public func keepActiveRaises(horizon: UInt64, _ append: (UnsafeRawBufferPointer, WallTime) -> UInt64?) {
        guard isActive, horizon != checkedHorizon else { return }
        checkedHorizon = horizon
        var r = 0
        while r < raiseSequences.count && r < evaluator.rules.count {
            let last = raiseSequences[r]
            if last != 0, last < horizon, evaluator.isRaised(r), let raise = lastTransition(r), raise.kind == .raise,
               let n = AlarmRecord.restatement(of: raise.record, into: record) {
                let sequence = append(UnsafeRawBufferPointer(rebasing: record[0..<n]), WallTime(milliseconds: raise.time))
                // Refused (full log that refuses appends): tried again when the horizon moves.
                if let sequence {
                    raiseSequences[r] = sequence
                    restatements &+= 1
                }
            }
            r += 1
        }
    }

    func remember(_ transition: AlarmTransition, _ bytes: UnsafeRawBufferPointer) {
        let r = transition.rule
        guard r >= 0, r < recordSlots.count else { return }
        if transition.kind == .raise { raises &+= 1 } else { clears &+= 1 }
        // A replayed record of the rule's layout before a configuration change is kept without
        // its values (`AlarmRecordSlots.store`): the slot still holds the last transition.
        recordSlots.store(bytes, rule: r, in: lastRecords)
    }

    /// After a restart: the raises and clears the log still holds (acknowledged or not, oldest
    /// first, each with its sequence number, 0 when unknown) put the alarms they leave active back
    /// as active, so that they are not raised again and clear with the right time; the sequence
    /// numbers tell `keepActiveRaises` where each active alarm's raise (or its newest "still
    /// active" copy) is. Start-up only (may allocate).
    public func recover(sequenced records: ((UInt64, UnsafeRawBufferPointer) -> Void) -> Void) -> (active: Int, unmatched: Int) {
        var recovery = AlarmRecovery(rules: evaluator.rules)
        records { sequence, bytes in self.replay(sequence, bytes, &recovery) }
        evaluator.restore(recovery)
        return (recovery.activeCount, recovery.unmatchedRecords)
    }

    func replay(_ sequence: UInt64, _ bytes: UnsafeRawBufferPointer, _ recovery: inout AlarmRecovery) {
        recovery.apply(bytes: bytes)
        guard let view = try? AlarmRecordView(bytes), let r = rules.index(fingerprint: view.fingerprint, hint: view.ruleHint) else { return }
        remember(AlarmTransition(rule: r, kind: view.kind, timeMilliseconds: view.timeMilliseconds), bytes)
        if view.kind == .raise {
            raises &-= 1
            raiseSequences[r] = sequence
        } else {
            clears &-= 1
        }
    }

    /// The kind (nil: none since start) and time of rule `r`'s last transition, and its captured
    /// values then.
    public func lastTransition(_ r: Int) -> (kind: AlarmTransition.Kind, time: Int64, record: AlarmRecordView)? {
        guard let view = recordSlots.record(r, in: UnsafeRawBufferPointer(lastRecords)) else { return nil }
        return (view.kind, view.timeMilliseconds, view)
    }

    /// Raised alarms per level (index `AlarmLevel.rawValue` − 1: info … critical).
    public func raisedCounts() -> InlineArray<5, Int> {
        var c: InlineArray<5, Int> = InlineArray(repeating: 0)
        var r = 0
        while r < evaluator.rules.count {
            if evaluator.isRaised(r) {
                let level = Int(evaluator.rules.rules[r].level.rawValue) - 1
                if level >= 0 && level < 5 { c[level] += 1 }
            }
            r += 1
        }
        return c
    }
}
