import EdgeCore
import IEC104
import Testing
import TestSupport

/// Random and mutated input never traps: ASDUs of random bytes are refused or read whole, and
/// a started link fed mutated frames either stays up or closes once with a cause, after which
/// it takes nothing more. Seeded (EDGE_TEST_SEED replays a run).
@Suite struct GarbageInputTests {
    static let valid: [[UInt8]] = [
        FrameBytes.hex("0d 01 03 00 2f 00 0b 00 00 00 00 48 41 00"),
        FrameBytes.hex("01 83 14 00 2f 00 64 00 01 01 00 81"),
        FrameBytes.hex("24 01 14 00 2f 00 0f 00 00 00 00 c0 bf 00 fa 00 00 00 01 01 1a"),
        FrameBytes.hex("25 01 03 00 2f 00 06 00 00 ff ff ff ff 1f 00 00 00 00 81 01 1a"),
        FrameBytes.hex("2d 01 07 00 2f 00 0c 00 00 81"),
    ]

    @Test func randomASDUsAreRefusedOrReadWhole() {
        let seed = TestSeed.seed(for: "randomASDUsAreRefusedOrReadWhole")
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<20_000 {
            var bytes = Self.valid.randomElement(using: &rng)!
            if Bool.random(using: &rng) {
                bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if !bytes.isEmpty, Bool.random(using: &rng) { bytes[0] = [1, 3, 9, 11, 13, 15, 30, 31, 34, 35, 36, 37, 45, 100].randomElement(using: &rng)! }
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &rng) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            let result = FrameBytes.reading(bytes) { p throws(IEC104Error) -> Int in
                var r = try ASDUReader(p)
                var n = 0
                while try r.next() != nil { n += 1 }
                #expect(n == r.header.count, "seed \(seed): \(FrameBytes.text(bytes))")
                return n
            }
            if case .success(let n) = result { #expect(n > 0, "seed \(seed)") }
        }
    }

    @Test func mutatedFramesCloseTheLinkOnceOrLeaveItUp() {
        let seed = TestSeed.seed(for: "mutatedFramesCloseTheLinkOnceOrLeaveItUp")
        var rng = SeededGenerator(seed: seed)
        var closed = 0
        for _ in 0..<2_000 {
            var h = LinkHarness()
            h.start()
            var stream: [UInt8] = []
            for i in 0..<4 { stream += FrameBytes.information(send: UInt16(i), receive: 1, asdu: Self.valid.randomElement(using: &rng)!) }
            for _ in 0..<Int.random(in: 1...4, using: &rng) { stream[Int.random(in: 0..<stream.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            var at = 0
            while at < stream.count {
                let n = Int.random(in: 1...(stream.count - at), using: &rng)
                h.feed(Array(stream[at..<at + n]))
                at += n
            }
            if h.lastError != nil {
                closed += 1
                #expect(h.link.state == .closed, "seed \(seed)")
                guard case .close(.protocolError) = h.link.poll() else { Issue.record("seed \(seed): no protocol error"); continue }
                let before = h.link.statistics
                h.feed(FrameBytes.unnumbered(.testActivation))
                #expect(h.link.statistics == before, "seed \(seed): input taken after the close")
            } else {
                #expect(h.link.state == .started, "seed \(seed)")
            }
        }
        #expect(closed > 0, "seed \(seed): no mutation broke the stream")
    }
}
