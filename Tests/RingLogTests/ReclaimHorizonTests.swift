import EdgeCore
import Testing
import RingLogTestSupport
@testable import RingLog

/// `reclaimHorizon`: the records at or after it survive the next two sector changes of the head
/// (the next one with two sectors), and the ones before it do not: what an active alarm's
/// "still active" copy relies on.
@Suite struct ReclaimHorizonTests {
    typealias Log = LogTestSupport.MemoryLog

    @Test(arguments: [2, 3, 6])
    func recordsFromTheHorizonOutliveTheNextSectorChangesAndNoneBefore(sectors: Int) throws {
        var log = try Log(device: LogTestSupport.device(sectors: sectors), clock: ManualClock(), options: LogTestSupport.options())
        let changes = min(2, sectors - 1)
        #expect(log.reclaimHorizon == log.oldestSequence)
        // Per append: the horizon and the oldest record before it, the head's sector changes
        // before and after it, the oldest record after it.
        var steps: [(horizon: UInt64, oldestBefore: UInt64, before: Int, after: Int, oldest: UInt64)] = []
        var rotations = 0
        var head = log.head
        for i in 1...2_000 {
            let horizon = log.reclaimHorizon
            let oldestBefore = log.oldestSequence
            #expect(horizon >= oldestBefore)
            let before = rotations
            try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i)))
            if log.head != head { rotations += 1; head = log.head }
            steps.append((horizon, oldestBefore, before, rotations, log.oldestSequence))
        }
        #expect(rotations > 10 * sectors, "the log must wrap several times")
        for (t, step) in steps.enumerated() {
            // Everything from the horizon is still there through `changes` sector changes.
            for later in steps[t...] where later.after - step.before <= changes {
                #expect(later.oldest <= step.horizon, "step \(t): \(step), later \(later)")
            }
            // And the records before it go at the `changes`-th change (a copy is made no earlier
            // than needed).
            if step.horizon > step.oldestBefore, let after = steps[t...].first(where: { $0.after - step.before == changes }) {
                #expect(after.oldest == step.horizon, "step \(t): \(step), then \(after)")
            }
        }
    }
}
