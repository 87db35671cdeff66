import Console
import EdgeCore
import Testing

/// Random bytes never crash the line editor or the session, and never grow a line beyond its
/// capacity or an echo beyond its bound.
@Suite struct LineEditorFuzzTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomBytesKeepTheEditorWithinItsBounds() {
        var rng = SplitMix(state: 0xC0FFEE)
        let capacity = 16
        var editor = LineEditor(capacity: capacity)
        let bound = LineEditor.maximumEchoBytes(capacity: capacity)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bound + 16, alignment: 1)
        defer { buffer.deallocate() }
        var lines = 0
        for round in 0..<200_000 {
            // Bias toward the interesting bytes: controls, ESC, '[', backspace, CR/LF, UTF-8.
            let pick = rng.next() % 8
            let byte: UInt8 = pick < 3 ? UInt8(truncatingIfNeeded: rng.next())
                : pick == 3 ? [0x1B, 0x5B, 0x4F, 0x7E][Int(rng.next() % 4)]
                : pick == 4 ? [0x08, 0x7F, 0x15, 0x03][Int(rng.next() % 4)]
                : pick == 5 ? [0x0D, 0x0A][Int(rng.next() % 2)]
                : pick == 6 ? UInt8(0x80 + rng.next() % 0x80)
                : UInt8(0x20 + rng.next() % 0x5F)
            var w = TextWriter(buffer: buffer)
            let event = editor.feed(byte, echo: &w)
            if event == .line { lines += 1 }
            #expect(editor.count <= capacity)
            #expect(w.count <= bound)
            #expect(!w.isTruncated)
            if round % 5000 == 0 { editor.clear() }
        }
        #expect(lines > 1000)
    }

    @Test func randomBytesIntoASessionNeverCrashIt() {
        var rng = SplitMix(state: 42)
        let c = PipeConsole(options: ConsoleOptions(lineCapacity: 32))
        c.backend.record = false
        for _ in 0..<300 {
            var chunk: [UInt8] = []
            for _ in 0..<64 {
                let r = rng.next()
                // Now and then a real command so that the backend is exercised too.
                if r % 97 == 0 { chunk += Array("status\rpoints x\rwrite a b c\rota install u\rlog 3\rhelp\r".utf8) }
                chunk.append(UInt8(truncatingIfNeeded: r >> 8))
            }
            _ = c.typeBytes(chunk)
            if c.session.state == .pending { _ = c.typeBytes([0x03]) }
        }
        #expect(c.session.state != .closed)
        #expect(c.session.commandsRun > 0)
        // Still answers afterwards.
        _ = c.typeBytes([0x03])
        #expect(c.type("status\r").contains("uplink: connected"))
    }
}
