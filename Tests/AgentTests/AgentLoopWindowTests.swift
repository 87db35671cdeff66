import Agent
import EdgeCompute
import EdgeCore
import FieldBus
import Testing
@testable import StoreForward

/// Window operators on the sample path (`LoopHarness`, manual clock from 2026-01-01T00:00:00Z, a
/// minute boundary): a windowed derived point is published once per wall-clock window, when the
/// first sample past its end arrives, stamped with the window's start; a counter's wrap-around
/// counts as a step forward; a window whose inputs stopped is still published, one window later.
@Suite struct AgentLoopWindowTests {
    static let points = #"""
        , {"id": "avg", "formula": "v", "window": "1m", "aggregate": "avg"},
          {"id": "energy", "formula": "v", "window": "1m", "aggregate": "integral"},
          {"id": "rate", "formula": "w", "window": "1m", "aggregate": "rate"},
          {"id": "peak", "formula": "max(v, w)", "window": "1m", "aggregate": "max"}
        """#

    /// One poll of d0: v (a power ramp) and w (a uint16 counter).
    static func poll(_ h: inout LoopHarness, v: Double, w: UInt64) {
        h.buses[0].deliver(AgentLoopComputeTests.sample(h, 0, 0, .double(v)))
        h.buses[0].deliver(AgentLoopComputeTests.sample(h, 0, 1, .uint(w)))
        h.turn()
    }

    @Test func aWindowIsPublishedWhenItClosesWithItsStartAsTime() throws {
        var h = try LoopHarness(configText: AgentLoopComputeTests.config(points: Self.points))
        h.connect()
        let t0 = h.clock.wallNow().milliseconds
        #expect(t0 % 60_000 == 0)
        // Every 10 s for a minute: v ramps 100, 200, ... 600; w counts 100 per poll through 65535.
        var w: UInt64 = 65_300
        for i in 0..<6 {
            Self.poll(&h, v: Double(100 + 100 * i), w: w)
            w = (w + 100) % 65_536
            h.clock.advance(milliseconds: 10_000)
        }
        // The window is still open: nothing aggregated yet.
        for p in 2...5 { #expect(h.loop.devices.latest(device: 0, point: p) == nil) }
        // The first poll of the next minute closes it.
        Self.poll(&h, v: 700, w: w)
        let avg = try #require(h.loop.devices.latest(device: 0, point: 2))
        #expect(avg.value == .double(350))
        #expect(avg.time.milliseconds == t0)
        #expect(avg.quality == .good)
        // Trapezoids over 0...60 s of a ramp 100 + 10 t: 100 * 60 + 5 * 60^2 (the last 10 s from the next minute's first sample).
        #expect(h.loop.devices.latest(device: 0, point: 3)?.value == .double(24_000))
        // 500 counts in 50 s, through the wrap from 65500 to 64.
        #expect(h.loop.devices.latest(device: 0, point: 4)?.value == .double(10))
        #expect(h.loop.devices.latest(device: 0, point: 5)?.value == .double(65_500))
        #expect(h.loop.devices.latest(device: 0, point: 5)?.time.milliseconds == t0)
        // The live points are published as polled.
        #expect(h.loop.devices.latest(device: 0, point: 0)?.time.milliseconds == t0 + 60_000)

        // The polls stop: the second window (one sample) closes one window length after its end.
        h.run(until: h.now + 60_000 + 59_000)
        #expect(h.loop.devices.latest(device: 0, point: 2)?.time.milliseconds == t0)
        h.run(until: h.now + 3_000)
        let second = try #require(h.loop.devices.latest(device: 0, point: 2))
        #expect(second.time.milliseconds == t0 + 60_000)
        #expect(second.value == .double(700))
        // The cloud got each window once, stamped with its start.
        h.run(until: h.now + 2_000)
        let sent = AgentLoopComputeTests.sent(h).filter { $0.0 == 0 && $0.2 == 2 }
        #expect(sent.map { $0.1 } == [t0, t0 + 60_000])
        #expect(sent.map { $0.3 } == [350, 700])
    }

    @Test func aWindowWithoutAGoodResultIsBadAndTheNextOneRecovers() throws {
        var h = try LoopHarness(configText: AgentLoopComputeTests.config(points: Self.points))
        let t0 = h.clock.wallNow().milliseconds
        h.buses[0].deliver(AgentLoopComputeTests.sample(h, 0, 0, .uint(0), quality: .timeout))
        h.turn()
        h.clock.advance(milliseconds: 60_000)
        Self.poll(&h, v: 5, w: 1)
        let bad = try #require(h.loop.devices.latest(device: 0, point: 2))
        #expect(bad.time.milliseconds == t0)
        #expect(bad.quality == .formulaFault(FormulaFault.badInput.rawValue))
        h.clock.advance(milliseconds: 60_000)
        Self.poll(&h, v: 9, w: 2)
        #expect(h.loop.devices.latest(device: 0, point: 2)?.value == .double(5))
        #expect(h.loop.devices.latest(device: 0, point: 2)?.quality == .good)
    }
}
