import Agent
import EdgeCompute
import EdgeCore
import FieldBus
import Testing
@testable import StoreForward

/// The sample path with computations, in this process (`LoopHarness`: buses in memory, manual
/// clock): derived points from the samples of one poll, with their time stamp; scale factors read
/// in the same poll; virtual devices over the latest values of other devices; report-by-exception
/// that counts what it holds back and always reports a quality change.
@Suite struct AgentLoopComputeTests {
    /// d0 on b0 and d1 on b1 (template points v, w and `points`), `virtual` devices after them.
    static func config(points: String = "", virtual: String = "") -> String {
        """
        {
          "buses": [{"name": "b0", "type": "tcp", "host": "127.0.0.1", "port": 1502},
                    {"name": "b1", "type": "tcp", "host": "127.0.0.1", "port": 1503}],
          "templates": [{"name": "t", "points": [
            {"id": "v", "table": "holding", "address": 0, "type": "uint16"},
            {"id": "w", "table": "holding", "address": 1, "type": "uint16"}\(points)]}],
          "devices": [{"name": "d0", "template": "t", "unit": 1, "bus": "b0", "productKey": "pk", "deviceKey": "dk0"},
                      {"name": "d1", "template": "t", "unit": 1, "bus": "b1", "productKey": "pk", "deviceKey": "dk1"}\(virtual)],
          "cloud": {"host": "127.0.0.1", "port": 1883,
                    "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                    "subDevices": [{"device": "d0", "deviceSecret": "s0"}, {"device": "d1", "deviceSecret": "s1"}]},
          "ringLog": {"path": "/tmp/agent-loop-tests.log", "size": "1MiB", "sectorSize": "64KiB", "syncIntervalMs": 100},
          "status": {"intervalMs": 60000}
        }
        """
    }

    static func sample(_ h: borrowing LoopHarness, _ device: Int, _ point: Int, _ value: PointValue,
                       quality: Quality = .good) -> BusEvent {
        .sample(Sample(device: device, point: point, value: value, quality: quality, time: h.clock.wallNow()))
    }

    /// What reached the cloud: (device, time, point, value).
    static func sent(_ h: borrowing LoopHarness) -> [(Int, Int64, Int, Double)] {
        FakeUplink.samples(h.loop.uplink.cloud.requests)
    }

    @Test func aDerivedPointIsComputedFromOnePollAndStoredWithItsTime() throws {
        var h = try LoopHarness(configText: Self.config(points: #", {"id": "s", "formula": "v + w"}, {"id": "r", "formula": "v / w"}"#))
        h.connect()
        h.clock.advance(milliseconds: 1_234)
        let polled = h.clock.wallNow()
        h.buses[0].deliver(Self.sample(h, 0, 0, .uint(3)))
        h.buses[0].deliver(Self.sample(h, 0, 1, .uint(0)))
        h.clock.advance(milliseconds: 10)
        h.turn()
        let s = try #require(h.loop.devices.latest(device: 0, point: 2))
        #expect(s.value == .double(3))
        #expect(s.quality == .good)
        #expect(s.time == polled)
        // Division by zero: a bad sample with the reason, not a trap.
        let r = try #require(h.loop.devices.latest(device: 0, point: 3))
        #expect(r.quality == .formulaFault(FormulaFault.divisionByZero.rawValue))
        #expect(r.time == polled)
        // d1 was not polled: none of d0's formulas ran for it.
        #expect(h.loop.devices.latest(device: 1, point: 2) == nil)
        h.run(until: h.now + 2_000)
        let sent = Self.sent(h)
        #expect(sent.contains { $0 == (0, polled.milliseconds, 2, 3) })
        #expect(sent.contains { $0.0 == 0 && $0.1 == polled.milliseconds && $0.2 == 0 && $0.3 == 3 })
        // A later poll of only w: s is computed again, from the latest v.
        let second = h.clock.wallNow()
        h.buses[0].deliver(Self.sample(h, 0, 1, .uint(4)))
        h.turn()
        #expect(h.loop.devices.latest(device: 0, point: 2)?.value == .double(7))
        #expect(h.loop.devices.latest(device: 0, point: 3)?.value == .double(0.75))
        #expect(h.loop.devices.latest(device: 0, point: 3)?.time == second)
    }

    @Test func aScaleFactorReadInTheSamePollScalesItsPoint() throws {
        var h = try LoopHarness(configText: Self.config(points: #"""
            , {"id": "p", "table": "holding", "address": 2, "type": "int16", "scale": "@sf"},
              {"id": "sf", "table": "holding", "address": 3, "type": "int16"},
              {"id": "double", "formula": "p * 2"}
            """#))
        // The point comes before its scale factor in the reply, as in SunSpec (W, then W_SF).
        h.buses[0].deliver(Self.sample(h, 0, 2, .int(1234)))
        h.buses[0].deliver(Self.sample(h, 0, 3, .int(-2)))
        h.turn()
        let p = try #require(h.loop.devices.latest(device: 0, point: 2))
        #expect(p.value == .double(12.34))
        #expect(p.quality == .good)
        #expect(h.loop.devices.latest(device: 0, point: 4)?.value == .double(24.68))
        // The device changed its scale factor: the next poll's value is scaled by the new one.
        h.buses[0].deliver(Self.sample(h, 0, 2, .int(5)))
        h.buses[0].deliver(Self.sample(h, 0, 3, .int(3)))
        h.turn()
        #expect(h.loop.devices.latest(device: 0, point: 2)?.value == .double(5_000))
        // A bad scale factor makes the point bad.
        h.buses[0].deliver(Self.sample(h, 0, 2, .int(5)))
        h.buses[0].deliver(Self.sample(h, 0, 3, .uint(0), quality: .timeout))
        h.turn()
        #expect(h.loop.devices.latest(device: 0, point: 2)?.quality == .formulaFault(FormulaFault.badInput.rawValue))
    }

    @Test func aDeadbandSuppressesSmallChangesCountsThemAndReportsQualityChanges() throws {
        var h = try LoopHarness(configText: Self.config(points: #"""
            , {"id": "u", "table": "holding", "address": 4, "type": "uint16", "deadband": 1}
            """#))
        h.connect()
        let values: [(Double, Quality)] = [(10, .good), (10.5, .good), (10.9, .good), (11.2, .good), (11.2, .timeout), (11.2, .timeout), (11.3, .good)]
        var times: [Int64] = []
        for (v, q) in values {
            times.append(h.clock.wallNow().milliseconds)
            h.buses[0].deliver(Self.sample(h, 0, 2, .double(v), quality: q))
            h.turn()
            h.clock.advance(milliseconds: 1_000)
        }
        // Reported: the first, the change beyond 1 (11.2), the change to bad, the change back to good.
        #expect(h.loop.store.stats.samplesRecorded == 4)
        #expect(h.loop.store.stats.samplesSuppressed == 3)
        // The latest value is known even when it was not reported.
        #expect(h.loop.devices.latest(device: 0, point: 2)?.value == .double(11.3))
        h.run(until: h.now + 2_000)
        let sent = Self.sent(h).filter { $0.2 == 2 }.map { $0.1 }
        #expect(sent == [times[0], times[3], times[4], times[6]])
    }

    @Test func aVirtualDeviceIsComputedFromTheLatestValuesOfOtherDevices() throws {
        var h = try LoopHarness(configText: Self.config(virtual: #"""
            , {"name": "plant", "type": "virtual", "points": [{"id": "total", "formula": "d0.v + d1.v"}, {"id": "half", "formula": "total / 2"}]}
            """#))
        h.buses[0].deliver(Self.sample(h, 0, 0, .uint(5)))
        h.turn()
        // d1.v not read yet: bad, with the reason.
        #expect(h.loop.devices.latest(device: 2, point: 0)?.quality == .formulaFault(FormulaFault.badInput.rawValue))
        h.clock.advance(milliseconds: 700)
        let t1 = h.clock.wallNow()
        h.buses[1].deliver(Self.sample(h, 1, 0, .uint(7)))
        h.turn()
        let total = try #require(h.loop.devices.latest(device: 2, point: 0))
        #expect(total.value == .double(12))
        #expect(total.quality == .good)
        #expect(total.time == t1)
        #expect(h.loop.devices.latest(device: 2, point: 1)?.value == .double(6))
        // The virtual device has nothing to write to.
        #expect(h.buses.allSatisfy { $0.writes.isEmpty })
    }
}
