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

    /// A damaged sector header where the first kept sector would be: its records are lost, and
    /// everything before the next readable sector goes with the next two sector changes, so the
    /// horizon is that sector's base, not `oldestSequence` (which would say nothing is at risk).
    @Test func aDamagedFirstKeptSectorPutsTheHorizonAtTheNextReadableSector() throws {
        let device = LogTestSupport.device(sectors: 4)
        var damaged = -1
        do {
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            var i: UInt64 = 1
            while log.liveCount < 4 {
                try LogTestSupport.append(&log, LogTestSupport.payload(i)); i += 1
            }
            try log.sync()
            damaged = (log.tail + 2) % 4
            #expect(damaged != log.head)
        }
        device.flipBit(at: damaged * 512 + 30, bit: 3)  // that sector's header: its CRC fails
        var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
        #expect(log.statistics().corruptSectors == 1)
        #expect(log.liveCount == 4 && log.sectors[damaged].use == .corrupt)
        let oldest = log.oldestSequence
        let nextReadable = log.sectors[(damaged + 1) % 4].baseSequence
        #expect(log.reclaimHorizon == nextReadable)
        #expect(nextReadable > oldest)
        // After two sector changes of the head, the records before it are gone: the old answer
        // (`oldestSequence`) promised they would stay.
        var changes = 0
        var previous = log.head
        var i: UInt64 = 10_000
        while changes < 2 {
            try LogTestSupport.append(&log, LogTestSupport.payload(i)); i += 1
            if log.head != previous { changes += 1; previous = log.head }
        }
        #expect(log.oldestSequence > oldest)
        #expect(log.oldestSequence <= nextReadable)
        let first = try LogTestSupport.readAll(&log, from: oldest).first?.0 ?? 0
        #expect(first == nextReadable, "the damaged sector's records are unreadable, the ones after it kept")
    }
}
