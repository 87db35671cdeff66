import EdgeCore
import Testing

/// EdgeCore's TextWriter (the console's and the logger's formatter): numbers, times, durations,
/// columns, and cutting at the buffer's end without splitting a UTF-8 character.
@Suite struct TextWriterTests {
    static func text(capacity: Int = 256, _ body: (inout TextWriter) -> Void) -> (String, Bool) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { buffer.deallocate() }
        var w = TextWriter(buffer: buffer)
        body(&w)
        return (String(decoding: w.bytes, as: UTF8.self), w.isTruncated)
    }

    @Test func integers() {
        #expect(Self.text { $0.write(0); $0.write(byte: 32); $0.write(-42); $0.write(byte: 32); $0.write(Int64.min) }.0
                == "0 -42 -9223372036854775808")
        #expect(Self.text { $0.write(UInt64.max) }.0 == "18446744073709551615")
        #expect(Self.text { $0.write(unsigned: 7, zeroPaddedTo: 3) }.0 == "007")
        #expect(Self.text { $0.write(hex: 0xBEEF, width: 8) }.0 == "0000beef")
        #expect(Self.text { $0.write(hex: 0) }.0 == "0")
    }

    @Test func doubles() {
        #expect(Self.text { $0.write(230.5, fractionDigits: 1) }.0 == "230.5")
        #expect(Self.text { $0.write(-0.0125, fractionDigits: 3) }.0 == "-0.013")
        #expect(Self.text { $0.write(2.0, fractionDigits: 0) }.0 == "2")
        #expect(Self.text { $0.write(shortest: 230.5) }.0 == "230.5")
        #expect(Self.text { $0.write(shortest: 0.0125) }.0 == "0.0125")
        #expect(Self.text { $0.write(shortest: 1e21) }.0 == "1e+21")
        #expect(Self.text { $0.write(shortest: -1.5e-9) }.0 == "-1.5e-9")
        #expect(Self.text { $0.write(shortest: 100) }.0 == "100")
        #expect(Self.text { $0.write(shortest: Double.nan) }.0 == "nan")
        #expect(Self.text { $0.write(shortest: -Double.infinity) }.0 == "-inf")
    }

    @Test func utcTimes() {
        #expect(Self.text { $0.write(utc: WallTime(milliseconds: 0)) }.0 == "1970-01-01T00:00:00.000Z")
        #expect(Self.text { $0.write(utc: WallTime(milliseconds: 1_767_225_600_000)) }.0 == "2026-01-01T00:00:00.000Z")
        #expect(Self.text { $0.write(utc: WallTime(milliseconds: 951_782_400_000 + 3_723_004)) }.0 == "2000-02-29T01:02:03.004Z")
        #expect(Self.text { $0.write(utc: WallTime(milliseconds: -1)) }.0 == "1969-12-31T23:59:59.999Z")
    }

    @Test func durations() {
        #expect(Self.text { $0.write(durationMilliseconds: 850) }.0 == "850ms")
        #expect(Self.text { $0.write(durationMilliseconds: 12_345) }.0 == "12.3s")
        #expect(Self.text { $0.write(durationMilliseconds: 245_000) }.0 == "4m05s")
        #expect(Self.text { $0.write(durationMilliseconds: 11_220_000) }.0 == "3h07m")
        #expect(Self.text { $0.write(durationMilliseconds: 187_200_000) }.0 == "2d04h")
    }

    @Test func columns() {
        let (t, _) = Self.text { w in
            w.write("ab"); w.pad(toColumn: 6); w.write("x"); w.newline()
            w.write("abcdefgh"); w.pad(toColumn: 6); w.write("y")
        }
        #expect(t == "ab    x\nabcdefgh y")
    }

    @Test func cutsAtTheEndWithoutSplittingACharacter() {
        let (t, truncated) = Self.text(capacity: 5) { $0.write("abcü€") }
        #expect(t == "abcü")
        #expect(truncated)
        let (u, cut) = Self.text(capacity: 4) { $0.write("abcü") }
        #expect(u == "abc")
        #expect(cut)
        let (v, notCut) = Self.text(capacity: 4) { $0.write("abcd") }
        #expect(v == "abcd" && !notCut)
    }
}
