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
/// never a trap. Buffers are sized at `init`; `take` and `flush` allocate nothing.
///
/// A console `trace` would hook into `take` (raw sample and its route), the scaling in `flush`,
/// `ReportFilter.decide`'s reason in `route` and the `FormulaResult` of each derived point.
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
        if isHeld[s] {
            held[s] = sample
            heldSlots[heldCount] = s
            heldCount += 1
            return .hold
        }
        return route(sample, slot: s)
    }

    /// Report-by-exception for a sample of slot `s`.
    func route(_ sample: Sample, slot s: Int) -> SampleRoute {
        guard filtered[s], let x = sample.value.numeric else { return .report }
        if filters[s].decide(value: x, good: sample.quality.isGood, at: sample.time.milliseconds).isReported { return .report }
        suppressed &+= 1
        return .suppress
    }

    /// Ends a batch of samples: scales the held ones, then computes each derived point with a
    /// fresh input, handing every resulting sample to `emit` with whether it is reported.
    public func flush(_ emit: (Sample, Bool) -> Void) {
        guard dirty else { return }
        dirty = false
        var i = 0
        while i < heldCount {
            let s = heldSlots[i]
            let sample = scaled(held[s], slot: s)
            emit(sample, route(sample, slot: s) == .report)
            i += 1
        }
        heldCount = 0
        var k = 0
        while k < plan.derived.count {
            computeDerived(k, emit)
            k += 1
        }
        generation = generation == UInt32.max ? 1 : generation + 1
    }

    func computeDerived(_ k: Int, _ emit: (Sample, Bool) -> Void) {
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
        guard fresh else { return }
        let result = f.program.evaluate(values: UnsafeBufferPointer(values), qualities: UnsafeBufferPointer(qualities))
        values[f.slot] = result.value
        qualities[f.slot] = result.isGood ? .good : .bad
        times[f.slot] = time
        stamps[f.slot] = generation
        let quality: Quality = result.fault.map { .formulaFault($0.rawValue) } ?? .good
        let sample = Sample(device: f.device, point: f.point, value: .double(result.value), quality: quality,
                            time: WallTime(milliseconds: time))
        emit(sample, route(sample, slot: f.slot) == .report)
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
