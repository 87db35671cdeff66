import Agent
import EdgeCore
import FieldBus
import RingLog
import Testing
import TestSupport
@testable import Configuration
@testable import StoreForward

/// The data path against the RingLog memory device and an in-memory cloud: the ring log forgets
/// a record only after its request is confirmed, and only over the contiguous prefix; the outage's
/// backlog goes out on resume in order while live data goes first; a crash at any point leaves
/// duplicates at most, never a loss of anything synced; the steady state allocates nothing.
@Suite struct StoreAndForwardTests {
    static func options() -> RingLogOptions {
        var o = RingLogOptions()
        o.writeBufferSize = 4096
        o.syncIntervalMilliseconds = 100
        o.checkpointEveryAcknowledgements = 1
        o.checkpointIntervalMilliseconds = 0
        return o
    }

    static func device() -> MemoryFlashDevice {
        MemoryFlashDevice(geometry: FlashGeometry(size: 64 * 4096, sectorSize: 4096))
    }

    static func store(_ device: MemoryFlashDevice, _ clock: ManualClock,
                      _ settings: PublishingSettings = PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 500,
                                                                           resumeSamplesPerSecond: 1_000_000),
                      translation: SampleTranslation? = nil) throws -> MemoryStore {
        let log = try RingLog(device: device, clock: clock, options: options())
        return MemoryStore(log: log, clock: clock, settings: settings, translation: translation)
    }

    /// Records `count` samples (device `i % devices`, value = first + i), `perRecord` to a record,
    /// one millisecond apart, then lets the group commit make them durable.
    static func record(_ store: inout MemoryStore, _ clock: ManualClock, first: Int, count: Int, perRecord: Int = 4,
                       devices: Int = 2) throws {
        for i in 0..<count {
            clock.advance(milliseconds: 1)
            try store.record(Sample(device: i % devices, point: i % 3, value: .double(Double(first + i)), quality: .good,
                                    time: clock.wallNow()))
            if (i + 1) % perRecord == 0 { try store.flushRecord() }
        }
        try store.flushRecord()
        clock.advance(milliseconds: 100)
        try store.tick()
    }

    static func values(_ requests: [FakeUplink.Request]) -> [Int] {
        FakeUplink.samples(requests).map { Int($0.3) }
    }

    @Test func ringLogIsAcknowledgedOnlyAfterTheConfirmation() throws {
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 8)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.count == 1)
        #expect(cloud.requests[0].kind == .live)
        #expect(Self.values(cloud.requests) == Array(0..<8))
        #expect(store.log.acknowledgedSequence == 0)
        #expect(store.unacknowledgedRecords == 2)
        try store.confirm(tag: cloud.requests[0].tag)
        #expect(store.log.acknowledgedSequence == 2)
        #expect(store.unacknowledgedRecords == 0)
    }

    @Test func liveRecordsGoOutBeforeTheGroupCommitAndLeaveTheLogOnlyOnceDurable() throws {
        // The group commit (100 ms here) used to be the floor of live latency: only durable
        // records were read for sending.
        let clock = ManualClock()
        let settings = PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 0, resumeSamplesPerSecond: 1_000)
        var store = try Self.store(Self.device(), clock, settings)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        for i in 0..<4 {
            try store.record(Sample(device: i % 2, point: 0, value: .double(Double(i)), quality: .good, time: clock.wallNow()))
        }
        try store.flushRecord()
        try store.tick()   // sets the sync deadline; nothing durable yet
        #expect(store.log.durableSequence == nil)
        try store.publish(&cloud)
        #expect(Self.values(cloud.requests) == [0, 1, 2, 3], "sent before the sync")
        try store.confirm(tag: cloud.requests[0].tag)
        #expect(store.log.acknowledgedSequence == 0, "not acknowledged before it is durable")
        clock.advance(milliseconds: 100)
        try store.tick()   // the group commit
        #expect(store.log.durableSequence == 1)
        #expect(store.log.acknowledgedSequence == 1, "acknowledged at the sync")
        #expect(store.unacknowledgedRecords == 0)
    }

    @Test func liveRecordsArrivingFasterThanTheIntervalGoOutBeforeRAMOverwritesThem() throws {
        // Polls in bursts append records faster than one live interval: waiting for the interval
        // let newer records overwrite the unsent ones in RAM, and the live path then waited for
        // the group commit.
        let clock = ManualClock()
        let settings = PublishingSettings(batchSamples: 200, liveIntervalMilliseconds: 50, resumeSamplesPerSecond: 1_000)
        var store = try Self.store(Self.device(), clock, settings)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        var value = 0
        for _ in 0..<40 {   // 40 records within 40 ms, no sync
            for _ in 0..<4 {
                try store.record(Sample(device: value % 2, point: 0, value: .double(Double(value)), quality: .good, time: clock.wallNow()))
                value += 1
            }
            try store.flushRecord()
            clock.advance(milliseconds: 1)
            try store.publish(&cloud)
            for r in cloud.requests where store.tracker.contains(tag: r.tag) { try store.confirm(tag: r.tag) }
        }
        #expect(store.log.durableSequence == nil, "nothing synced: everything sent came from RAM")
        #expect(Self.values(cloud.requests) == Array(0..<value).filter { $0 < Self.values(cloud.requests).count }, "in order")
        #expect(Self.values(cloud.requests).count >= 100, "\(Self.values(cloud.requests).count) of \(value) sent before any sync")
    }

    @Test func aPowerCutBeforeTheSyncLosesOnlyWhatWasDeliveredAlready() throws {
        let clock = ManualClock()
        let device = Self.device()
        let settings = PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 0, resumeSamplesPerSecond: 1_000_000)
        var delivered: [Int] = []
        do {
            var store = try Self.store(device, clock, settings)
            var cloud = FakeUplink(devices: 2)
            try store.uplinkReady()
            try Self.record(&store, clock, first: 0, count: 8)            // durable
            try store.publish(&cloud)
            for i in 8..<12 {
                try store.record(Sample(device: 0, point: 0, value: .double(Double(i)), quality: .good, time: clock.wallNow()))
            }
            try store.flushRecord()                                       // appended, not durable
            try store.publish(&cloud)
            delivered += Self.values(cloud.requests)
            #expect(delivered.sorted() == Array(0..<12))
            // power cut: no sync, no confirmation
        }
        var store = try Self.store(device, clock, settings)
        #expect(store.log.nextAppendSequence == 3, "the unsynced record is gone")
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        var rounds = 0
        while store.unacknowledgedRecords > 0 && rounds < 20 {
            rounds += 1
            let before = cloud.requests.count
            try store.publish(&cloud)
            for r in cloud.requests[before...] { try store.confirm(tag: r.tag) }
        }
        delivered += Self.values(cloud.requests)
        #expect(Set(delivered) == Set(0..<12), "every sample reached the cloud at least once")
        #expect(store.unacknowledgedRecords == 0)
    }

    @Test func acknowledgementMovesOnlyOverTheContiguousConfirmedPrefix() throws {
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 24)   // 6 records, 3 requests of 8 samples
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.count == 3)
        try store.confirm(tag: cloud.requests[1].tag)
        try store.confirm(tag: cloud.requests[2].tag)
        #expect(store.log.acknowledgedSequence == 0)
        try store.confirm(tag: cloud.requests[0].tag)
        #expect(store.log.acknowledgedSequence == 6)
        // A late or unknown confirmation changes nothing.
        try store.confirm(tag: 999)
        #expect(store.log.acknowledgedSequence == 6)
    }

    @Test func outageBacklogGoesOnResumeInOrderWhileLiveGoesFirst() throws {
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try Self.record(&store, clock, first: 0, count: 40)   // uplink down: backlog
        try store.publish(&cloud)
        #expect(cloud.requests.isEmpty)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 1000, count: 4)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.first?.kind == .live)
        #expect(Self.values(cloud.requests.filter { $0.kind == .live }) == Array(1000..<1004))
        let resumed = cloud.requests.filter { $0.kind == .resume }
        #expect(Self.values(resumed) == Array(0..<24), "three backlog requests fill the window of four beside the live one")
        // In time order per device.
        for device in 0..<2 {
            let times = FakeUplink.samples(resumed).filter { $0.0 == device }.map { $0.1 }
            #expect(times == times.sorted())
        }
        var rounds = 0
        while store.unacknowledgedRecords > 0 && rounds < 20 {
            rounds += 1
            for r in cloud.requests { try store.confirm(tag: r.tag) }
            try store.publish(&cloud)
        }
        #expect(Self.values(cloud.requests.filter { $0.kind == .resume }) == Array(0..<40))
        #expect(store.unacknowledgedRecords == 0)
        let resuming = store.isResuming
        #expect(!resuming)
    }

    @Test func backlogIsPacedAtTheConfiguredRate() throws {
        let clock = ManualClock()
        let settings = PublishingSettings(batchSamples: 100, liveIntervalMilliseconds: 500, resumeSamplesPerSecond: 8)
        var store = try Self.store(Self.device(), clock, settings)
        var cloud = FakeUplink(devices: 2)
        try Self.record(&store, clock, first: 0, count: 40)
        try store.uplinkReady()
        try store.publish(&cloud)
        #expect(FakeUplink.samples(cloud.requests).count == 8)
        for r in cloud.requests { try store.confirm(tag: r.tag) }
        clock.advance(milliseconds: 1000)
        try store.publish(&cloud)
        #expect(FakeUplink.samples(cloud.requests).count == 16)
        // Over time the rate holds: whole records go out, a record beyond the tokens is paid later.
        for _ in 0..<8 {
            clock.advance(milliseconds: 250)
            try store.publish(&cloud)
            for r in cloud.requests { try store.confirm(tag: r.tag) }
        }
        let sent = FakeUplink.samples(cloud.requests).count
        #expect(sent >= 16 + 16 - 4 && sent <= 16 + 16 + 4, "\(sent) samples in 3 s at 8 samples/s")
    }

    @Test func failedRequestIsSentAgainFromTheAcknowledgedCursor() throws {
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 16)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.count == 2)
        try store.confirm(tag: cloud.requests[0].tag)
        store.retry(tag: cloud.requests[1].tag)
        cloud.requests.removeAll()
        clock.advance(milliseconds: 1_000)   // the first back-off
        try store.publish(&cloud)
        #expect(cloud.requests.map(\.kind) == [.resume])
        #expect(Self.values(cloud.requests) == Array(8..<16))
        try store.confirm(tag: cloud.requests[0].tag)
        #expect(store.unacknowledgedRecords == 0)
    }

    @Test func aRetryHoldsSendingBackForADelayThatDoublesUpToAMinuteAndResetsOnAConfirmation() throws {
        // A transient code (723, 1009, an unknown one) used to rewind and resend at once: with
        // replies as fast as the line, the same requests went out again and again at full speed.
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 16)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.count == 2)
        var expected: [Int] = []
        var delays: [Int] = []
        for round in 0..<9 {
            expected.append(min(60_000, 1_000 << round))
            store.retry(tag: cloud.requests[0].tag)   // the cloud refuses the first request of the round
            // The other reply of the round finds its request gone: one failure per round.
            store.retry(tag: cloud.requests[1].tag)
            cloud.requests.removeAll()
            // Nothing goes out before the deadline, and the loop is told when to look again
            // (neither a spin nor a sleep past it).
            var waited = 0
            while true {
                let wait = store.millisecondsUntilDue(now: clock.monotonicNow())
                try store.publish(&cloud)
                guard cloud.requests.isEmpty else { break }
                #expect(wait > 0, "round \(round): due at once while backing off (a spin)")
                clock.advance(milliseconds: UInt64(wait))
                waited += wait
                #expect(waited <= 60_000, "round \(round): still nothing after \(waited) ms")
                if waited > 60_000 { return }
            }
            delays.append(waited)
            #expect(Self.values(cloud.requests).sorted() == Array(0..<16), "round \(round): everything unconfirmed again")
        }
        #expect(delays == expected, "the sync timer may wake the loop early, never late: \(delays)")
        #expect(store.stats.retryBackOffs == 9)
        // A confirmation that moves the log forward starts the back-off from 1 s again.
        try store.confirm(tag: cloud.requests[0].tag)
        #expect(store.log.acknowledgedSequence == 2)
        #expect(store.consecutiveFailures == 0)
        store.retry(tag: cloud.requests[1].tag)
        cloud.requests.removeAll()
        clock.advance(milliseconds: 999)
        try store.publish(&cloud)
        #expect(cloud.requests.isEmpty)
        clock.advance(milliseconds: 1)
        try store.publish(&cloud)
        #expect(Self.values(cloud.requests) == Array(8..<16))
    }

    @Test func aReconnectSendsAtOnceDespiteABackOff() throws {
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 8)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        for _ in 0..<6 {
            store.retry(tag: cloud.requests[cloud.requests.count - 1].tag)
            clock.advance(milliseconds: 60_000)
            try store.publish(&cloud)
        }
        store.retry(tag: cloud.requests[cloud.requests.count - 1].tag)   // now 60 s
        store.uplinkLost()
        try store.uplinkReady()   // the reconnect policy paced the connection: no second wait
        cloud.requests.removeAll()
        try store.publish(&cloud)
        #expect(Self.values(cloud.requests) == Array(0..<8))
    }

    @Test func samplesOfSubDevicesNotLoggedInStayInTheRequestsAndAreAcknowledgedOnlyWhenConfirmed() throws {
        // A late or refused login used to skip the device's live samples and acknowledge them:
        // stored, then forgotten. Now they go out with the others (requests allow offline
        // sub-devices) and leave the log only on the cloud's confirmation.
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        cloud.loggedIn[1] = false
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 8)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(Self.values(cloud.requests).sorted() == Array(0..<8))
        #expect(Set(FakeUplink.samples(cloud.requests).map(\.0)) == [0, 1])
        #expect(store.stats.samplesNotForCloud == 0)
        #expect(store.log.acknowledgedSequence == 0, "nothing leaves the log before the confirmation")
        store.retry(tag: cloud.requests[0].tag)   // e.g. no reply in time
        cloud.requests.removeAll()
        clock.advance(milliseconds: 1_000)   // the first back-off
        try store.publish(&cloud)
        #expect(Self.values(cloud.requests).sorted() == Array(0..<8), "sent again, whole")
        for r in cloud.requests { try store.confirm(tag: r.tag) }
        #expect(store.unacknowledgedRecords == 0)
    }

    @Test func samplesOfDevicesWithoutCloudIdentityAreTheOnlyOnesLeftOutAndAreCounted() throws {
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock)
        var cloud = FakeUplink(devices: 2)
        cloud.identities[1] = false
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 8)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(FakeUplink.samples(cloud.requests).allSatisfy { $0.0 == 0 })
        #expect(store.stats.samplesNotForCloud == 4)
        for r in cloud.requests { try store.confirm(tag: r.tag) }
        #expect(store.unacknowledgedRecords == 0)
    }

    @Test func liveDataBeyondOneRequestFollowsAsSoonAsTheWindowHasRoom() throws {
        // At the defaults the live path used to send at most inFlightRequests x batchSamples per
        // live interval, however fast the replies came back: the rest piled up.
        let clock = ManualClock()
        let settings = PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 1_000, resumeSamplesPerSecond: 1_000,
                                          inFlightRequests: 2)
        var store = try Self.store(Self.device(), clock, settings)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.record(&store, clock, first: 0, count: 64)   // 8 requests' worth
        clock.advance(milliseconds: 1_000)
        try store.publish(&cloud)
        #expect(cloud.requests.count == 2, "the window of two is full")
        #expect(store.millisecondsUntilDue(now: clock.monotonicNow()) > 0, "a full window is not a reason to wake")
        var rounds = 0
        while store.unacknowledgedRecords > 0 && rounds < 20 {
            rounds += 1
            clock.advance(milliseconds: 5)   // replies come back quickly, long before the live interval
            for r in cloud.requests { try store.confirm(tag: r.tag) }
            #expect(store.unacknowledgedRecords == 0 || store.millisecondsUntilDue(now: clock.monotonicNow()) == 0)
            try store.publish(&cloud)
        }
        #expect(Self.values(cloud.requests) == Array(0..<64))
        #expect(cloud.requests.allSatisfy { $0.kind == .live })
        #expect(rounds <= 5, "\(rounds) rounds of 5 ms for 64 samples")
    }

    @Test func liveKeepsGoingWhileAPacedBacklogHoldsTheAcknowledgementBack() throws {
        // Each confirmed live request used to keep its own slot while the older backlog (paced)
        // held the contiguous prefix back: after inFlightRequests x 4 + 8 of them the tracker was
        // full, nothing was outstanding to time out, and all sending stopped for good.
        let clock = ManualClock()
        let settings = PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 0, resumeSamplesPerSecond: 1,
                                          inFlightRequests: 2)
        var store = try Self.store(Self.device(), clock, settings)
        var cloud = FakeUplink(devices: 2)
        try Self.record(&store, clock, first: 0, count: 400)   // a backlog that goes out at 1 sample/s
        try store.uplinkReady()
        var live = 0
        for round in 0..<60 {
            try Self.record(&store, clock, first: 10_000 + round * 8, count: 8)
            let before = cloud.requests.count
            try store.publish(&cloud)
            for r in cloud.requests[before...] {
                if r.kind == .live { live += 1 }
                try store.confirm(tag: r.tag)
            }
        }
        #expect(live == 60, "\(live) live requests in 60 rounds")
        #expect(store.tracker.count <= 4, "\(store.tracker.ranges.count) ranges tracked")
    }

    @Test func aSilentCloudDoesNotMakeTheLoopBusy() throws {
        // Connected, requests out, no replies: millisecondsUntilDue used to return 0 for as long
        // as the window stayed full (86 % of a core in poll(2) with timeout 0).
        let clock = ManualClock()
        let settings = PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 200, resumeSamplesPerSecond: 1_000,
                                          inFlightRequests: 2, replyTimeoutMilliseconds: 5_000)
        var store = try Self.store(Self.device(), clock, settings)
        var cloud = FakeUplink(devices: 2)
        try Self.record(&store, clock, first: 0, count: 40)   // a backlog
        try store.uplinkReady()
        for step in 0..<25 {   // ~9 s: short of the reply deadline (2 x 5 s), after which it resends
            try Self.record(&store, clock, first: 1_000 + step * 4, count: 4)
            clock.advance(milliseconds: 250)
            try store.publish(&cloud)
            let wait = store.millisecondsUntilDue(now: clock.monotonicNow())
            #expect(wait >= 50, "step \(step): wait \(wait) ms with the window full and no reply")
        }
        #expect(cloud.requests.count == 2)
        // The uplink itself cannot take a request (its own window full): no spin either.
        var blocked = FakeUplink(devices: 2)
        blocked.windowOpen = false
        var other = try Self.store(Self.device(), clock, settings)
        try other.uplinkReady()
        try Self.record(&other, clock, first: 0, count: 40)
        clock.advance(milliseconds: 500)
        try other.publish(&blocked)
        #expect(other.millisecondsUntilDue(now: clock.monotonicNow()) > 0)
    }

    @Test func crashDuringOutageAndReplayLosesNothingSynced() throws {
        let clock = ManualClock()
        let device = Self.device()
        var delivered: [Int] = []
        do {
            var store = try Self.store(device, clock)
            try Self.record(&store, clock, first: 0, count: 100)   // outage, synced
            try store.record(Sample(device: 0, point: 0, value: .double(-1), quality: .good, time: clock.wallNow()))
            // crash: the last sample was never flushed nor synced
        }
        do {
            var store = try Self.store(device, clock)
            var cloud = FakeUplink(devices: 2)
            try store.uplinkReady()
            clock.advance(milliseconds: 10)
            try store.publish(&cloud)
            #expect(cloud.requests.count == 4)
            #expect(cloud.requests.allSatisfy { $0.kind == .resume })
            // The cloud got the first requests; only some confirmations arrive, out of order.
            delivered += Self.values(cloud.requests)
            try store.confirm(tag: cloud.requests[2].tag)
            try store.confirm(tag: cloud.requests[0].tag)
            #expect(store.log.acknowledgedSequence == 2)
            // crash during the replay
        }
        var store = try Self.store(device, clock)
        #expect(store.log.acknowledgedSequence <= 2)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        var rounds = 0
        while store.unacknowledgedRecords > 0 && rounds < 100 {
            rounds += 1
            cloud.requests.removeAll()
            try store.publish(&cloud)
            delivered += Self.values(cloud.requests)
            for r in cloud.requests { try store.confirm(tag: r.tag) }
            clock.advance(milliseconds: 10)
        }
        #expect(store.unacknowledgedRecords == 0)
        #expect(Set(delivered) == Set(0..<100), "nothing synced lost, nothing invented")
        #expect(delivered.count >= 100)
    }

    @Test func steadyStateAllocatesNothing() throws {
        #expect(AllocationCounter.isActive)
        let clock = ManualClock()
        var store = try Self.store(Self.device(), clock,
                                   PublishingSettings(batchSamples: 50, liveIntervalMilliseconds: 100, resumeSamplesPerSecond: 1000))
        var cloud = FakeUplink(devices: 2)
        cloud.keep = false
        try store.uplinkReady()
        var failures = 0
        var value = 0
        func round() {
            do throws(RingLogError) {
                for _ in 0..<50 {
                    for _ in 0..<8 {
                        value += 1
                        try store.record(Sample(device: value % 2, point: value % 3, value: .double(Double(value)),
                                                quality: .good, time: clock.wallNow()))
                    }
                    try store.flushRecord()
                    clock.advance(milliseconds: 100)
                    try store.tick()
                    let before = cloud.sentCount
                    try store.publish(&cloud)
                    if cloud.sentCount > before { try store.confirm(tag: cloud.lastTag) }
                }
            } catch { failures += 1 }
        }
        round()
        let counted = AllocationCounter.count { round() }
        #expect(failures == 0)
        #expect(counted.allocations == 0, "\(counted)")
        #expect(store.stats.requestsConfirmed > 50)
    }
}
