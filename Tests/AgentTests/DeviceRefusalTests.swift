import Agent
import EdgeCore
import FieldBus
import RingLog
import Testing
import TestSupport
@testable import Configuration
@testable import StoreForward

/// A refusal about one device (EnOS answers a batch with the first error it meets, all or
/// nothing: 705 no such sub-device, 723 disabled, 740 not in the topology, 1009/1212 not
/// permitted) must not hold the other devices' data: the device is named by the reply or found
/// by one round split by device, its samples are left out and counted, the rest is delivered and
/// the log acknowledged. A refusal of every device alike is not one device's fault: kept, backed
/// off. Before: every device-level code rewound everything and backed off up to a minute, for
/// ever, with one device's data in every request.
@Suite struct DeviceRefusalTests {
    typealias S = StoreAndForwardTests

    /// The cloud's answers to the requests from `from` on: a request carrying an entry of
    /// `refusing` is refused with `code` (naming the device when `named`), the others confirmed.
    /// Returns the confirmed requests and what the store made of the refusals.
    static func answer(_ store: inout MemoryStore, _ cloud: FakeUplink, from: Int, refusing device: Int?, code: Int,
                       named: Bool = false) throws -> (confirmed: [FakeUplink.Request], outcomes: [DeviceRefusalOutcome]) {
        var confirmed: [FakeUplink.Request] = []
        var outcomes: [DeviceRefusalOutcome] = []
        for r in cloud.requests[from...] {
            if let device, device < 0 || r.entries.contains(where: { $0.device == device }) {
                outcomes.append(try store.deviceRefused(tag: r.tag, code: code, device: named ? device : nil))
            } else {
                try store.confirm(tag: r.tag)
                confirmed.append(r)
            }
        }
        return (confirmed, outcomes)
    }

    /// 16 samples of devices 0 and 1 (alternating, 4 to a record, values 0...15; device 0 has the
    /// even ones), sent live as two requests of 8.
    static func start(_ store: inout MemoryStore, _ cloud: inout FakeUplink, _ clock: ManualClock) throws {
        try store.uplinkReady()
        try S.record(&store, clock, first: 0, count: 16)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.count == 2)
    }

    @Test func aRefusalThatDoesNotNameTheDeviceIsResolvedByOneRoundSplitByDeviceAndTheOthersFlowOn() throws {
        let clock = ManualClock()
        var store = try S.store(S.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try Self.start(&store, &cloud, clock)
        var delivered: [FakeUplink.Request] = []

        // Round 1: both requests carry device 1, which the cloud refuses (723, the device unnamed).
        var answered = try Self.answer(&store, cloud, from: 0, refusing: 1, code: 723)
        #expect(answered.outcomes == [.splitting, .ignored])

        // Round 2, at once: the oldest request's worth sent again, one request per device.
        var from = cloud.requests.count
        try store.publish(&cloud)
        let parts = Array(cloud.requests[from...])
        #expect(parts.count == 2)
        #expect(parts.map { Set($0.entries.map(\.device)) } == [[0], [1]])
        answered = try Self.answer(&store, cloud, from: from, refusing: 1, code: 723)
        delivered += answered.confirmed
        #expect(answered.outcomes == [.partAnswered])
        #expect(store.refused.code(1) == 723)
        #expect(store.log.acknowledgedSequence == 2)

        // Round 3, at once (no back-off): the rest without device 1.
        #expect(store.retryNotBefore == nil)
        from = cloud.requests.count
        try store.publish(&cloud)
        #expect(cloud.requests.count > from)
        answered = try Self.answer(&store, cloud, from: from, refusing: 1, code: 723)
        #expect(answered.outcomes.isEmpty)
        delivered += answered.confirmed

        #expect(S.values(delivered).sorted() == Array(stride(from: 0, to: 16, by: 2)))
        #expect(store.log.acknowledgedSequence == 4)
        #expect(store.stats.samplesOfRefusedDevices == 8)
        #expect(store.refused.droppedSamples(1) == 8)
        #expect(store.stats.deviceSplitRounds == 1)
        #expect(store.stats.devicesRefused == 1)
        // Reported once.
        let first = store.takeRefusalToReport()
        let second = store.takeRefusalToReport()
        #expect(first?.device == 1 && first?.code == 723)
        #expect(second == nil)
    }

    @Test func aRefusalThatNamesTheDeviceLeavesItOutAtOnce() throws {
        let clock = ManualClock()
        var store = try S.store(S.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try Self.start(&store, &cloud, clock)
        let answered = try Self.answer(&store, cloud, from: 0, refusing: 1, code: 705, named: true)
        #expect(answered.outcomes == [.deviceRefused(device: 1), .ignored])
        #expect(store.retryNotBefore == nil)
        let from = cloud.requests.count
        try store.publish(&cloud)
        let delivered = try Self.answer(&store, cloud, from: from, refusing: 1, code: 705, named: true)
        #expect(delivered.outcomes.isEmpty)
        #expect(S.values(delivered.confirmed).sorted() == Array(stride(from: 0, to: 16, by: 2)))
        #expect(store.log.acknowledgedSequence == 4)
        #expect(store.stats.samplesOfRefusedDevices == 8)
        #expect(store.stats.deviceSplitRounds == 0)
    }

    @Test func aRefusalOfEveryDeviceAlikeKeepsTheSamplesAndBacksOff() throws {
        let clock = ManualClock()
        var store = try S.store(S.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try Self.start(&store, &cloud, clock)
        // 1009 for the whole topic: every request, every part.
        var answered = try Self.answer(&store, cloud, from: 0, refusing: -1, code: 1009)
        #expect(answered.outcomes == [.splitting, .ignored])
        var from = cloud.requests.count
        try store.publish(&cloud)
        #expect(cloud.requests.count - from == 2)
        answered = try Self.answer(&store, cloud, from: from, refusing: -1, code: 1009)
        #expect(answered.outcomes == [.partAnswered, .partAnswered])
        #expect(store.refused.count == 0)
        #expect(store.stats.samplesOfRefusedDevices == 0)
        #expect(store.retryNotBefore != nil)

        // After the back-off the same: plain retries now, no second split round.
        clock.advance(milliseconds: 1_000)
        from = cloud.requests.count
        try store.publish(&cloud)
        answered = try Self.answer(&store, cloud, from: from, refusing: -1, code: 1009)
        #expect(answered.outcomes.first == .retrying)
        #expect(store.stats.deviceSplitRounds == 1)

        // The cloud takes data again: everything arrives.
        clock.advance(milliseconds: 2_000)
        from = cloud.requests.count
        try store.publish(&cloud)
        answered = try Self.answer(&store, cloud, from: from, refusing: nil, code: 0)
        #expect(S.values(answered.confirmed).sorted() == Array(0..<16))
        #expect(store.log.acknowledgedSequence == 4)
    }

    @Test func aDeviceTheCloudDeletedIsNotSentAndIsSentAgainOnceAdmitted() throws {
        let clock = ManualClock()
        var store = try S.store(S.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        let refusedNow = store.refuseDevice(1, code: 705)
        #expect(refusedNow)
        try S.record(&store, clock, first: 0, count: 16)
        clock.advance(milliseconds: 500)
        try store.publish(&cloud)
        #expect(cloud.requests.allSatisfy { $0.entries.allSatisfy { $0.device == 0 } })
        let answered = try Self.answer(&store, cloud, from: 0, refusing: nil, code: 0)
        #expect(S.values(answered.confirmed).sorted() == Array(stride(from: 0, to: 16, by: 2)))
        #expect(store.log.acknowledgedSequence == 4)
        #expect(store.stats.samplesOfRefusedDevices == 8)

        let admitted = store.admitDevice(1)
        #expect(admitted)
        #expect(store.stats.devicesRefused == 0)
        try S.record(&store, clock, first: 100, count: 4)
        clock.advance(milliseconds: 500)
        let from = cloud.requests.count
        try store.publish(&cloud)
        #expect(cloud.requests[from...].contains { $0.entries.contains { $0.device == 1 } })
    }

    @Test func aPartWithoutReplyFailsTheRoundAndKeepsEverything() throws {
        let clock = ManualClock()
        var store = try S.store(S.device(), clock)
        var cloud = FakeUplink(devices: 2)
        try Self.start(&store, &cloud, clock)
        _ = try Self.answer(&store, cloud, from: 0, refusing: 1, code: 740)
        let from = cloud.requests.count
        try store.publish(&cloud)
        // Device 0's part is confirmed, device 1's gets no reply in time.
        try store.confirm(tag: cloud.requests[from].tag)
        store.retry(tag: cloud.requests[from + 1].tag)
        #expect(store.refused.count == 0)
        #expect(store.log.acknowledgedSequence == 0)
        #expect(store.retryNotBefore != nil)
        #expect(store.stats.samplesOfRefusedDevices == 0)
    }
}
