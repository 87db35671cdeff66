import Agent
import EdgeCore
import FieldBus
import Testing

/// The console's `trace` on the loop (`LoopHarness`: buses in memory, manual clock): the register
/// words a bus sends before the watched point's sample (`BusEvent.traceWords`) go into that
/// sample's trace entry, and only that sample's: a sample without words of its own (a bad read,
/// words of a sample the full queue dropped) shows none, and words of another point are ignored.
@Suite struct AgentLoopTraceWordsTests {
    typealias C = AgentLoopComputeTests

    static func words(_ w: [UInt16]) -> RawWords { w.withUnsafeBufferPointer { RawWords($0, at: 0, count: w.count) } }

    static func traceWords(_ h: borrowing LoopHarness, _ device: Int, _ point: Int, _ w: [UInt16]) -> BusEvent {
        .traceWords(device: device, point: point, time: h.clock.wallNow(), words: words(w))
    }

    @Test func eachPolledEntryShowsTheWordsOfItsOwnPollOnly() throws {
        var h = try LoopHarness(configText: C.config())
        h.connect()
        h.loop.computation.watch(device: 0, point: 1)
        // Words, then their sample; another point's words and sample around them.
        h.buses[0].deliver(Self.traceWords(h, 0, 0, [0x1111]))
        h.buses[0].deliver(C.sample(h, 0, 0, .uint(0x1111)))
        h.buses[0].deliver(Self.traceWords(h, 0, 1, [0x03e8]))
        h.buses[0].deliver(C.sample(h, 0, 1, .uint(1000)))
        h.buses[1].deliver(C.sample(h, 1, 1, .uint(7)))
        h.turn()
        #expect(h.loop.computation.trace.written == 1)
        let first = try #require(h.loop.computation.trace.entry(0))
        #expect(first.value == 1000 && first.raw == Self.words([0x03e8]))

        // A bad read: no words, and none shown.
        h.clock.advance(milliseconds: 1_000)
        h.buses[0].deliver(C.sample(h, 0, 1, .uint(0), quality: .timeout))
        h.turn()
        #expect(h.loop.computation.trace.entry(1)?.raw.count == 0)

        // Words whose sample never arrived (dropped from a full queue), then the next poll's
        // sample without words: the stale words are not shown with it.
        h.clock.advance(milliseconds: 1_000)
        h.buses[0].deliver(Self.traceWords(h, 0, 1, [0xdead]))
        h.turn()
        h.clock.advance(milliseconds: 1_000)
        h.buses[0].deliver(C.sample(h, 0, 1, .uint(0), quality: .timeout))
        h.turn()
        #expect(h.loop.computation.trace.written == 3)
        #expect(h.loop.computation.trace.entry(2)?.raw.count == 0)

        // Back to good: the words of that poll.
        h.clock.advance(milliseconds: 1_000)
        h.buses[0].deliver(Self.traceWords(h, 0, 1, [0x03e9]))
        h.buses[0].deliver(C.sample(h, 0, 1, .uint(1001)))
        h.turn()
        #expect(h.loop.computation.trace.entry(3)?.raw == Self.words([0x03e9]))
    }

    @Test func aScaledEntryShowsTheWordsOfTheSampleHeldForItsScaleFactor() throws {
        var h = try LoopHarness(configText: C.config(points: #"""
            , {"id": "p", "table": "holding", "address": 2, "type": "int16", "scale": "@sf"},
              {"id": "sf", "table": "holding", "address": 3, "type": "int16"}
            """#))
        h.connect()
        h.loop.computation.watch(device: 0, point: 2)
        h.buses[0].deliver(Self.traceWords(h, 0, 2, [0x04d2]))
        h.buses[0].deliver(C.sample(h, 0, 2, .int(1234)))
        h.buses[0].deliver(Self.traceWords(h, 0, 3, [0xfffe]))
        h.buses[0].deliver(C.sample(h, 0, 3, .int(-2)))
        h.turn()
        let e = try #require(h.loop.computation.trace.entry(0))
        #expect(e.stage == .scaled && e.value == 12.34)
        #expect(e.raw == Self.words([0x04d2]))
    }
}
