import EdgeCompute
import EdgeCore
import FieldBus

/// Window operators on the sample path: a windowed derived point's results go into its
/// `WindowAggregator`; a closed window becomes the point's sample, stamped with the window's start.
extension PointComputation {
    /// Feeds derived point k's result at `time` to its window; publishes the window it closes.
    func aggregate(_ k: Int, _ result: FormulaResult, at time: Int64, _ emit: (Sample, Bool) -> Void) {
        let w = windowOf[k]
        let f = plan.derived[k]
        if f.slot == trace.slot {
            let quality: Quality = result.fault.map { .formulaFault($0.rawValue) } ?? .good
            trace.append(PointTraceEntry(stage: .windowInput, time: time, input: result.value, value: result.value,
                                         quality: quality, decision: nil, reported: false))
        }
        guard let closed = windows[w].add(value: result.value, good: result.isGood, at: time) else { return }
        publish(k, closed, emit)
    }

    /// Closes derived point k's window when no result came for a whole window after its end (its
    /// inputs stopped): the window is published one window length late rather than never.
    func closeIdleWindow(_ k: Int, now: Int64, _ emit: (Sample, Bool) -> Void) {
        let w = windowOf[k]
        guard let closed = windows[w].close(at: now - windows[w].lengthMs) else { return }
        publish(k, closed, emit)
    }

    /// A closed window as derived point k's sample: its value for the formulas after it, and
    /// a sample stamped with the window's start (bad when the window held no good result).
    func publish(_ k: Int, _ closed: WindowResult, _ emit: (Sample, Bool) -> Void) {
        let f = plan.derived[k]
        values[f.slot] = closed.value
        qualities[f.slot] = closed.isGood ? .good : .bad
        times[f.slot] = closed.start
        stamps[f.slot] = generation
        let quality: Quality = closed.isGood ? .good : .formulaFault(FormulaFault.badInput.rawValue)
        let sample = Sample(device: f.device, point: f.point, value: .double(closed.value), quality: quality,
                            time: WallTime(milliseconds: closed.start))
        emit(sample, route(sample, slot: f.slot, stage: .window) == .report)
    }
}
