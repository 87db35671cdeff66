import Agent
import EdgeCore
import FieldBus
import RingLog
import Testing
@testable import Configuration
@testable import StoreForward

/// Records that survive configuration changes: each record carries its configuration's layout
/// fingerprint; after a reload the backlog is posted under its own device and point (mapped by
/// name, cloud identity and point identifier) or dropped and counted, never misattributed and
/// never a trap; after a restart with an unknown configuration it is dropped and counted.
@Suite struct SampleLayoutTests {
    /// Devices (name, template points, sub-device key or nil) as an agent configuration.
    static func config(_ devices: [(String, [String], String?)]) throws -> AgentConfiguration {
        var templates: [String] = []
        var list: [String] = []
        var subs: [String] = []
        for (i, d) in devices.enumerated() {
            let points = d.1.enumerated().map { #"{"id": "\#($0.element)", "table": "holding", "address": \#($0.offset), "type": "uint16"}"# }
            templates.append(#"{"name": "t\#(i)", "points": [\#(points.joined(separator: ", "))]}"#)
            let identity = d.2.map { #", "productKey": "pk", "deviceKey": "\#($0)""# } ?? ""
            list.append(#"{"name": "\#(d.0)", "template": "t\#(i)", "unit": \#(i + 1), "bus": "b"\#(identity)}"#)
            if d.2 != nil { subs.append(#"{"device": "\#(d.0)", "deviceSecret": "s\#(i)"}"#) }
        }
        let text = """
            {
              "buses": [{"name": "b", "type": "tcp", "host": "127.0.0.1", "port": 1502}],
              "templates": [\(templates.joined(separator: ", "))],
              "devices": [\(list.joined(separator: ", "))],
              "cloud": {"host": "localhost", "port": 1883,
                        "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                        "subDevices": [\(subs.joined(separator: ", "))]},
              "ringLog": {"path": "/tmp/x.log", "size": "1MiB", "sectorSize": "64KiB"}
            }
            """
        return try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
    }

    static let before: [(String, [String], String?)] = [
        ("m1", ["a", "b", "c"], "k1"),
        ("m2", ["a", "b"], "k2"),
        ("m3", ["x"], "k3"),
    ]

    /// Records samples: for each device of `devices`, each of its points, value = device * 100 + point.
    static func recordBacklog(_ store: inout MemoryStore, _ clock: ManualClock, devices: [(String, [String], String?)]) throws {
        for (d, device) in devices.enumerated() {
            for p in device.1.indices {
                clock.advance(milliseconds: 1)
                try store.record(Sample(device: d, point: p, value: .double(Double(d * 100 + p)), quality: .good, time: clock.wallNow()))
            }
        }
        try store.flushRecord()
        clock.advance(milliseconds: 100)
        try store.tick()
        _ = try store.log.sync()
    }

    static func drain(_ store: inout MemoryStore, _ cloud: inout FakeUplink) throws {
        var rounds = 0
        while store.unacknowledgedRecords > 0 && rounds < 50 {
            rounds += 1
            let sent = cloud.requests.count
            try store.publish(&cloud)
            for r in cloud.requests[sent...] { try store.confirm(tag: r.tag) }
        }
    }

    @Test func aReloadThatDropsADeviceAndRenumbersPointsPostsEachSampleUnderItsOwnDeviceAndPoint() throws {
        let clock = ManualClock()
        let flash = StoreAndForwardTests.device()
        let old = SampleTranslation(layout: SampleLayout(try Self.config(Self.before)))
        do {
            var store = try StoreAndForwardTests.store(flash, clock, translation: old)
            try Self.recordBacklog(&store, clock, devices: Self.before)   // the cloud is away: a backlog
        }
        // The reload: m2 removed (m3 becomes device 1), m1's points reordered, b removed, d added.
        let after: [(String, [String], String?)] = [("m1", ["d", "c", "a"], "k1"), ("m3", ["x"], "k3")]
        let translation = SampleTranslation(layout: SampleLayout(try Self.config(after)), after: old)
        var store = try StoreAndForwardTests.store(flash, clock, translation: translation)
        var cloud = FakeUplink(devices: 2)
        try store.uplinkReady()
        try Self.drain(&store, &cloud)
        #expect(store.unacknowledgedRecords == 0)
        let delivered = FakeUplink.samples(cloud.requests).map { [$0.0, $0.2, Int($0.3)] }
        // m1.a (value 0) is now point 2, m1.c (value 2) point 1; m3.x (value 200) is device 1.
        #expect(delivered == [[0, 2, 0], [0, 1, 2], [1, 0, 200]], "\(delivered)")
        // m1.b and m2's two points have no place in the new configuration: dropped, counted.
        #expect(store.stats.samplesOfOtherConfigurations == 3)
    }

    @Test func aDeviceWhoseCloudIdentityChangedIsNotPostedUnderTheNewIdentity() throws {
        let clock = ManualClock()
        let flash = StoreAndForwardTests.device()
        let old = SampleTranslation(layout: SampleLayout(try Self.config(Self.before)))
        do {
            var store = try StoreAndForwardTests.store(flash, clock, translation: old)
            try Self.recordBacklog(&store, clock, devices: Self.before)
        }
        let after: [(String, [String], String?)] = [("m1", ["a", "b", "c"], "k1-new"), ("m2", ["a", "b"], "k2"), ("m3", ["x"], "k3")]
        let translation = SampleTranslation(layout: SampleLayout(try Self.config(after)), after: old)
        var store = try StoreAndForwardTests.store(flash, clock, translation: translation)
        var cloud = FakeUplink(devices: 3)
        try store.uplinkReady()
        try Self.drain(&store, &cloud)
        #expect(Set(FakeUplink.samples(cloud.requests).map(\.0)) == [1, 2])
        #expect(store.stats.samplesOfOtherConfigurations == 3)
    }

    @Test func twoReloadsInARowStillMapTheOldestBacklog() throws {
        let clock = ManualClock()
        let flash = StoreAndForwardTests.device()
        let first = SampleTranslation(layout: SampleLayout(try Self.config(Self.before)))
        do {
            var store = try StoreAndForwardTests.store(flash, clock, translation: first)
            try Self.recordBacklog(&store, clock, devices: Self.before)
        }
        let second = SampleTranslation(layout: SampleLayout(try Self.config([("m3", ["x"], "k3"), ("m1", ["c", "b", "a"], "k1")])),
                                       after: first)
        let third = SampleTranslation(layout: SampleLayout(try Self.config([("m0", ["z"], nil), ("m1", ["a", "c"], "k1"), ("m3", ["x"], "k3")])),
                                      after: second)
        var store = try StoreAndForwardTests.store(flash, clock, translation: third)
        var cloud = FakeUplink(devices: 3)
        try store.uplinkReady()
        try Self.drain(&store, &cloud)
        let delivered = FakeUplink.samples(cloud.requests).map { [$0.0, $0.2, Int($0.3)] }
        #expect(delivered == [[1, 0, 0], [1, 1, 2], [2, 0, 200]], "\(delivered)")
        #expect(store.stats.samplesOfOtherConfigurations == 3)
    }

    @Test func aRestartWithAnotherConfigurationDropsAndCountsTheBacklogInsteadOfMisattributingIt() throws {
        let clock = ManualClock()
        let flash = StoreAndForwardTests.device()
        do {
            var store = try StoreAndForwardTests.store(flash, clock, translation: SampleTranslation(layout: SampleLayout(try Self.config(Self.before))))
            try Self.recordBacklog(&store, clock, devices: Self.before)
        }
        // A new process: the earlier layout is not known; the same indices mean other devices now.
        let other: [(String, [String], String?)] = [("m3", ["x", "y", "z"], "k3"), ("m1", ["a", "b"], "k1"), ("m2", ["a"], "k2")]
        var store = try StoreAndForwardTests.store(flash, clock, translation: SampleTranslation(layout: SampleLayout(try Self.config(other))))
        var cloud = FakeUplink(devices: 3)
        try store.uplinkReady()
        try Self.drain(&store, &cloud)
        #expect(cloud.requests.isEmpty)
        #expect(store.stats.samplesOfOtherConfigurations == 6)
        #expect(store.unacknowledgedRecords == 0, "dropped by the counted rule, not left to block the log")
        try store.sync()   // the acknowledgement's checkpoint
        // The same configuration after a restart reads its own records.
        let same = try Self.config(other)
        var again = try StoreAndForwardTests.store(flash, clock, translation: SampleTranslation(layout: SampleLayout(same)))
        try Self.recordBacklog(&again, clock, devices: other)
        var cloud2 = FakeUplink(devices: 3)
        try again.uplinkReady()
        try Self.drain(&again, &cloud2)
        #expect(FakeUplink.samples(cloud2.requests).count == 6)
        #expect(again.stats.samplesOfOtherConfigurations == 0)
    }

    @Test func recordsOfTheFirstFormatAreStillReadAndIndicesOutOfRangeAreDroppedNotTrapped() throws {
        // A version-1 record (no layout) as the previous release wrote it: device 0 point 1, and
        // device 7 point 0 (no such device now).
        var bytes: [UInt8] = [1, 2]
        withUnsafeBytes(of: Int64(1_700_000_000_000).littleEndian) { bytes += $0 }
        for (device, point) in [(0, 1), (7, 0)] {
            bytes += [UInt8(device), 0, UInt8(point), 0, 0, 0, 0, 0, 0, 0, 3]
            withUnsafeBytes(of: (42.5).bitPattern.littleEndian) { bytes += $0 }
        }
        let clock = ManualClock()
        let flash = StoreAndForwardTests.device()
        do {
            var log = try RingLog(device: flash, clock: clock, options: StoreAndForwardTests.options())
            _ = try bytes.withUnsafeBytes { raw throws(RingLogError) in try log.append(raw) }
            _ = try log.sync()
        }
        let config = try Self.config(Self.before)
        var store = try StoreAndForwardTests.store(flash, clock, translation: SampleTranslation(layout: SampleLayout(config)))
        var cloud = FakeUplink(devices: 3)
        try store.uplinkReady()
        try Self.drain(&store, &cloud)
        let delivered = FakeUplink.samples(cloud.requests).map { [$0.0, $0.2, Int($0.3)] }
        #expect(delivered == [[0, 1, 42]])
        #expect(store.stats.samplesOfOtherConfigurations == 1)
        #expect(store.stats.undecodableRecords == 0)
    }

    @Test func theFingerprintChangesWithNamesIdentitiesAndPointsAndOnlyWithThem() throws {
        let a = SampleLayout(try Self.config(Self.before))
        #expect(a == SampleLayout(try Self.config(Self.before)))
        #expect(a.fingerprint != SampleLayout(try Self.config([("m1", ["a", "b", "c"], "k1"), ("m2", ["a", "b"], "k2"), ("m3", ["y"], "k3")])).fingerprint)
        #expect(a.fingerprint != SampleLayout(try Self.config([("m1", ["a", "b", "c"], "k1"), ("m2", ["a", "b"], nil), ("m3", ["x"], "k3")])).fingerprint)
        #expect(a.fingerprint != SampleLayout(try Self.config([("m2", ["a", "b"], "k2"), ("m1", ["a", "b", "c"], "k1"), ("m3", ["x"], "k3")])).fingerprint)
    }
}
