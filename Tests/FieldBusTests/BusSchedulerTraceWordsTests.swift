import EdgeCore
import FieldBus
import Testing

/// The console's `trace`: the scheduler sends the register words of the one watched point in a
/// `traceWords` event just before each of its good samples (same device, point and time), and
/// nothing for any other point, for a bad read or once the watch stops.
@Suite struct BusSchedulerTraceWordsTests {
    static func words(_ w: [UInt16]) -> RawWords { w.withUnsafeBufferPointer { RawWords($0, at: 0, count: w.count) } }

    static func traceWords(_ events: [BusEvent]) -> [(index: Int, device: Int, point: Int, time: WallTime, words: RawWords)] {
        events.enumerated().compactMap { i, e in
            if case .traceWords(let d, let p, let t, let w) = e { return (i, d, p, t, w) } else { return nil }
        }
    }

    @Test func onlyTheWatchedPointsGoodSamplesArePrecededByTheirWords() throws {
        var s = try BusSchedulerTests.make(units: [1, 2]) { f in
            for u in [1, 2] {
                f.registers[u]![100] = 2305
                f.registers[u]![101] = 0x0001
                f.registers[u]![102] = 0x0002
            }
        }
        let fake = s.transport.field
        var sink = EventRecorder()
        // Nothing watched: samples only.
        s.run(forMilliseconds: 1500, sink: &sink)
        #expect(Self.traceWords(sink.events).isEmpty)
        #expect(sink.samples.count > 0)

        // Unit 1's energy (uint32 at 101) watched; unit 2 has the same point and registers.
        s.watch(device: 0, point: 1)
        sink.events = []
        s.run(forMilliseconds: 3000, sink: &sink)
        let traced = Self.traceWords(sink.events)
        let goodWatched = sink.samples.filter { $0.device == 0 && $0.point == 1 && $0.quality.isGood }
        #expect(traced.count >= 2, "\(sink.events)")
        #expect(traced.count == goodWatched.count)
        for t in traced {
            #expect(t.device == 0 && t.point == 1)
            #expect(t.words == Self.words([0x0001, 0x0002]))
            // The very next event is the sample decoded from these words, with the same time.
            guard t.index + 1 < sink.events.count, case .sample(let next) = sink.events[t.index + 1] else {
                Issue.record("no sample right after the words: \(sink.events)")
                continue
            }
            #expect(next.device == 0 && next.point == 1 && next.time == t.time && next.value == .uint(0x0001_0002))
        }

        // A failed read sends no words: the watched point's samples go out bad and alone.
        fake.dead = [1]
        sink.events = []
        s.run(forMilliseconds: 3000, sink: &sink)
        #expect(sink.samples.contains { $0.device == 0 && $0.point == 1 && !$0.quality.isGood })
        #expect(Self.traceWords(sink.events).isEmpty, "\(sink.events)")

        // The watch stopped: no more words, the samples still come.
        fake.dead = []
        s.watch(device: -1, point: -1)
        sink.events = []
        s.run(forMilliseconds: 20_000, sink: &sink)
        #expect(sink.samples.contains { $0.device == 0 && $0.point == 1 && $0.quality.isGood })
        #expect(Self.traceWords(sink.events).isEmpty)
    }

    @Test func aWatchedBitHasNoWordsToSend() throws {
        var s = try BusSchedulerTests.make(units: [1]) { f in f.coils[1]![5] = 1 }
        s.watch(device: 0, point: 3)
        var sink = EventRecorder()
        s.run(forMilliseconds: 6000, sink: &sink)
        #expect(sink.samples.contains { $0.point == 3 && $0.value == .bool(true) })
        #expect(Self.traceWords(sink.events).isEmpty)
    }
}
