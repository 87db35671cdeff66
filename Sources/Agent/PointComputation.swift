import EdgeCompute
import EdgeCore
import FieldBus

/// What becomes of a sample handed to `PointComputation.take`.
public enum SampleRoute: Equatable, Sendable {
    /// Stored and published now, as it is.
    case report
    /// Within its point's deadband or minimum interval: counted, not stored (`samplesSuppressed`).
    case suppress
    /// Kept until `flush` (it is scaled by another point read in the same poll).
    case hold
}

/// The agent's computations on the sample path, between the buses and the ring log: scale
/// factors read from another point (`"scale": "@W_SF"`), derived points (formulas, in
/// `ComputePlan` order, over the latest value of every point, with virtual devices over other
/// devices' points) and report-by-exception (`ReportFilter` per point). A sample is taken as it
/// arrives; `flush`, after each batch of bus events, scales the held samples and computes every
/// derived point whose inputs got a fresh sample in the batch, stamped with the newest of those
/// inputs' times. A bad input or a formula fault gives a bad sample (`Quality.formulaFault`),
/// never a trap. A derived point with a window (`PointWindow`) feeds each result to its
/// `WindowAggregator` and is published only when a window closes, with the window's start as its
/// time: on the first result past the window's end, or, when its inputs stopped, one window
/// length later (`flush(now:)`). Buffers are sized at `init`; `take` and `flush` allocate nothing.
///
/// The console's `trace DEVICE POINT` watches one slot (`watch`): `route` (every sample that
/// is published: polled, scaled, derived, a closed window) and `aggregate` (a result kept in a
/// window) append a `PointTraceEntry` to `trace`, a fixed ring the console's snapshot copies out.
/// With no slot watched this is one comparison per sample.
public final class PointComputation {
    public let plan: ComputePlan
    /// False when nothing is derived, scaled or filtered: the loop then skips this altogether.
    public let isActive: Bool
    /// Samples held back by report-by-exception since start.
    public private(set) var suppressed: UInt64 = 0
    let values: UnsafeMutableBufferPointer<Double>
    let qualities: UnsafeMutableBufferPointer<InputQuality>
    let times: UnsafeMutableBufferPointer<Int64>
    /// Generation of the slot's latest sample: fresh in this batch when equal to `generation`.
    let stamps: UnsafeMutableBufferPointer<UInt32>
    let held: UnsafeMutableBufferPointer<Sample>
    let heldSlots: UnsafeMutableBufferPointer<Int>
    let isHeld: UnsafeMutableBufferPointer<Bool>
    var heldCount = 0
    var filters: [ReportFilter]
    let filtered: [Bool]
    let offsetOf: [Double]
    var generation: UInt32 = 1
    var dirty = false
    /// One aggregator per windowed derived point; `windowOf[k]` is derived point k's, or -1.
    var windows: [WindowAggregator]
    let windowOf: [Int]
    /// Wall time (ms) of the next look for windows whose inputs stopped.
    var nextIdleCheck: Int64 = .min
    /// The watched point's steps (console `trace`).
    public internal(set) var trace = PointTrace()

    /// Compiles `fieldBus`'s formulas (already checked when the configuration was loaded: one
    /// refused here leaves the plan empty) and sizes every buffer.
    public init(_ fieldBus: FieldBusConfiguration) {
        var plan = ComputePlan.empty
        do throws(ComputePlan.Failure) { plan = try ComputePlan.build(fieldBus) } catch {}
        self.plan = plan
        var filters: [ReportFilter] = []
        var filtered: [Bool] = []
        var offsetOf: [Double] = []
        for d in fieldBus.devices {
            for point in fieldBus.templates[d.template].points {
                filters.append(ReportFilter(point.report))
                filtered.append(point.report != ReportFilterSettings())
                offsetOf.append(point.offset)
            }
        }
        let n = filters.count
        var windows: [WindowAggregator] = []
        var windowOf: [Int] = []
        for f in plan.derived {
            windowOf.append(f.window == nil ? -1 : windows.count)
            if let w = f.window { windows.append(WindowAggregator(w.operation, lengthMs: w.lengthMs)) }
        }
        self.windows = windows
        self.windowOf = windowOf
        self.filters = filters
        self.filtered = filtered
        self.offsetOf = offsetOf
        isActive = !plan.isEmpty || filtered.contains(true)
        values = .allocate(capacity: n)
        values.initialize(repeating: 0)
        qualities = .allocate(capacity: n)
        qualities.initialize(repeating: .bad)
        times = .allocate(capacity: n)
        times.initialize(repeating: 0)
        stamps = .allocate(capacity: n)
        stamps.initialize(repeating: 0)
        held = .allocate(capacity: n)
        held.initialize(repeating: Sample(device: 0, point: 0, value: .uint(0), quality: .offline, time: WallTime(milliseconds: 0)))
        heldSlots = .allocate(capacity: n)
        heldSlots.initialize(repeating: 0)
        isHeld = .allocate(capacity: n)
        isHeld.initialize(repeating: false)
        var i = 0
        while i < plan.scaleSlots.count && i < n {
            isHeld[i] = plan.scaleSlots[i] >= 0
            i += 1
        }
    }

    deinit {
        values.deallocate()
        qualities.deallocate()
        times.deallocate()
        stamps.deallocate()
        held.deallocate()
        heldSlots.deallocate()
        isHeld.deallocate()
    }

    func slot(_ sample: Sample) -> Int? {
        guard sample.device >= 0, sample.device < plan.offsets.count, sample.point >= 0 else { return nil }
        let s = plan.offsets[sample.device] + sample.point
        return s < values.count ? s : nil
    }

    /// True when a sample of this point is already held in this batch: `flush` first, so that
    /// no sample is lost.
    public func mustFlush(before sample: Sample) -> Bool {
        guard let s = slot(sample), isHeld[s] else { return false }
        var i = 0
        while i < heldCount {
            if heldSlots[i] == s { return true }
            i += 1
        }
        return false
    }

    /// Takes a polled sample: remembers it as the latest input of the formulas and says what to
    /// do with it now.
    public func take(_ sample: Sample) -> SampleRoute {
        guard let s = slot(sample) else { return .report }
        let numeric = sample.value.numeric
        values[s] = numeric ?? 0
        qualities[s] = sample.quality.isGood && numeric?.isFinite == true ? .good : .bad
        times[s] = sample.time.milliseconds
        stamps[s] = generation
        dirty = true
        if s == trace.slot { trace.pair(time: sample.time.milliseconds) }
        if isHeld[s] {
            held[s] = sample
            heldSlots[heldCount] = s
            heldCount += 1
            return .hold
        }
        return route(sample, slot: s)
    }

    /// Report-by-exception for a sample of slot `s`, traced as `stage` when `s` is watched
    /// (`input`: the value before the scale factor of a scaled sample).
    func route(_ sample: Sample, slot s: Int, stage: PointTraceEntry.Stage = .polled, input: Double? = nil) -> SampleRoute {
        guard filtered[s], let x = sample.value.numeric else {
            if s == trace.slot { traceStep(sample, stage, input, decision: nil, reported: true) }
            return .report
        }
        let decision = filters[s].decide(value: x, good: sample.quality.isGood, at: sample.time.milliseconds)
        if s == trace.slot { traceStep(sample, stage, input, decision: decision, reported: decision.isReported) }
        if decision.isReported { return .report }
        suppressed &+= 1
        return .suppress
    }

    func traceStep(_ sample: Sample, _ stage: PointTraceEntry.Stage, _ input: Double?, decision: ReportDecision?, reported: Bool) {
        let value = sample.value.numeric ?? 0
        var entry = PointTraceEntry(stage: stage, time: sample.time.milliseconds, input: input ?? value, value: value,
                                    quality: sample.quality, decision: decision, reported: reported)
        if stage == .polled || stage == .scaled { entry.raw = trace.sampleWords }
        trace.append(entry)
    }

    /// The register words of the sample of `device`'s `point` stamped `time`, which comes next
    /// (`BusEvent.traceWords`): kept for its trace entry when that point is watched.
    public func noteWords(_ words: RawWords, device: Int, point: Int, time: WallTime) {
        guard trace.slot >= 0, device >= 0, device < plan.offsets.count, point >= 0,
              plan.offsets[device] + point == trace.slot else { return }
        trace.note(words, time: time.milliseconds)
    }

    /// True while the console traces a point: every sample then goes through `take`.
    public var isTracing: Bool { trace.slot >= 0 }

    /// Traces `device`'s `point` (console `trace`); a device of -1 stops tracing.
    public func watch(device: Int, point: Int) {
        guard device >= 0, device < plan.offsets.count, point >= 0 else {
            trace.watch(-1)
            return
        }
        let s = plan.offsets[device] + point
        trace.watch(s < values.count ? s : -1)
    }

    /// Ends a batch of samples: scales the held ones, then computes each derived point with a
    /// fresh input, handing every resulting sample to `emit` with whether it is reported. `now`
    /// (wall time, ms) closes the windows whose inputs stopped (looked at once a second).
    public func flush(now: Int64, _ emit: (Sample, Bool) -> Void) {
        let idle = !windows.isEmpty && now >= nextIdleCheck
        guard dirty || idle else { return }
        if idle { nextIdleCheck = now + 1_000 }
        dirty = false
        var i = 0
        while i < heldCount {
            let s = heldSlots[i]
            let sample = scaled(held[s], slot: s)
            emit(sample, route(sample, slot: s, stage: .scaled, input: held[s].value.numeric) == .report)
            i += 1
        }
        heldCount = 0
        var k = 0
        while k < plan.derived.count {
            computeDerived(k, now: idle ? now : nil, emit)
            k += 1
        }
        generation = generation == UInt32.max ? 1 : generation + 1
    }

    func computeDerived(_ k: Int, now: Int64?, _ emit: (Sample, Bool) -> Void) {
        let f = plan.derived[k]
        var fresh = false
        var time: Int64 = 0
        let references = f.program.references
        var r = 0
        while r < references.count {
            let input = references[r].slot
            if input < values.count, stamps[input] == generation {
                fresh = true
                time = max(time, times[input])
            }
            r += 1
        }
        guard fresh else {
            if let now, windowOf[k] >= 0 { closeIdleWindow(k, now: now, emit) }
            return
        }
        let result = f.program.evaluate(values: UnsafeBufferPointer(values), qualities: UnsafeBufferPointer(qualities))
        if windowOf[k] >= 0 {
            aggregate(k, result, at: time, emit)
            return
        }
        values[f.slot] = result.value
        qualities[f.slot] = result.isGood ? .good : .bad
        times[f.slot] = time
        stamps[f.slot] = generation
        let quality: Quality = result.fault.map { .formulaFault($0.rawValue) } ?? .good
        let sample = Sample(device: f.device, point: f.point, value: .double(result.value), quality: quality,
                            time: WallTime(milliseconds: time))
        emit(sample, route(sample, slot: f.slot, stage: .derived) == .report)
    }

    /// A held sample times 10^sf of its scale-factor point (`(value − offset) · 10^sf + offset`);
    /// bad when either is bad or sf is not a whole number within ±22 (what a double holds exactly).
    func scaled(_ sample: Sample, slot s: Int) -> Sample {
        var out = sample
        let factor = plan.scaleSlots[s]
        guard sample.quality.isGood, let raw = sample.value.numeric else { return out }
        guard factor >= 0, qualities[factor] == .good else {
            out.value = .double(0)
            out.quality = .formulaFault(FormulaFault.badInput.rawValue)
            qualities[s] = .bad
            return out
        }
        let sf = values[factor]
        guard sf == sf.rounded(), sf >= -22, sf <= 22 else {
            out.value = .double(0)
            out.quality = .formulaFault(FormulaFault.outOfRange.rawValue)
            qualities[s] = .bad
            return out
        }
        var power = 1.0
        var n = Int(Swift.abs(sf))
        while n > 0 {
            power *= 10
            n -= 1
        }
        let offset = offsetOf[s]
        let value = sf >= 0 ? (raw - offset) * power + offset : (raw - offset) / power + offset
        out.value = .double(value)
        values[s] = value
        return out
    }
}
