import EdgeCore
import Testing

/// Number conversion in JSONReader: integers at the limits, exponents, and doubles compared with
/// the values Python's float() (correctly rounded strtod) gives for the same text.
@Suite struct JSONNumberTests {
    static func withToken<R>(_ text: String, _ body: (JSONReader, JSONToken) throws -> R) throws -> R {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { input throws in
            var reader = JSONReader(input)
            let t = try reader.next()
            return try body(reader, t)
        }
    }

    static func int64(_ text: String) throws -> Int64 { try withToken(text) { r, t in try r.int64(t) } }
    static func uint64(_ text: String) throws -> UInt64 { try withToken(text) { r, t in try r.uint64(t) } }
    static func double(_ text: String) throws -> Double { try withToken(text) { r, t in try r.double(t) } }

    static func reason(_ body: () throws -> Any) -> JSONError.Reason? {
        do { _ = try body(); return nil } catch let e as JSONError { return e.reason } catch { return nil }
    }

    @Test func parsesIntegersAtTheLimits() throws {
        #expect(try Self.int64("0") == 0)
        #expect(try Self.int64("-0") == 0)
        #expect(try Self.int64("9223372036854775807") == Int64.max)
        #expect(try Self.int64("-9223372036854775808") == Int64.min)
        #expect(try Self.uint64("18446744073709551615") == UInt64.max)
        #expect(try Self.uint64("-0") == 0)
        #expect(Self.reason { try Self.int64("9223372036854775808") } == .numberOutOfRange(.int64))
        #expect(Self.reason { try Self.int64("-9223372036854775809") } == .numberOutOfRange(.int64))
        #expect(Self.reason { try Self.uint64("18446744073709551616") } == .numberOutOfRange(.uint64))
        #expect(Self.reason { try Self.uint64("-1") } == .numberOutOfRange(.uint64))
        #expect(Self.reason { try Self.int64("99999999999999999999999") } == .numberOutOfRange(.int64))
    }

    @Test func fractionsAndExponentsAreNotIntegers() {
        #expect(Self.reason { try Self.int64("1.0") } == .notAnInteger)
        #expect(Self.reason { try Self.int64("1e2") } == .notAnInteger)
        #expect(Self.reason { try Self.uint64("2.5") } == .notAnInteger)
        #expect(Self.reason { try Self.int64("\"12\"") } == .wrongTokenKind)
        #expect(Self.reason { try Self.double("true") } == .wrongTokenKind)
    }

    /// Text and the bits of Python's float(text).
    static let pythonValues: [(String, UInt64)] = [
        ("0", 0x0000000000000000), ("1", 0x3ff0000000000000), ("-1", 0xbff0000000000000),
        ("0.1", 0x3fb999999999999a), ("0.2", 0x3fc999999999999a), ("0.3", 0x3fd3333333333333),
        ("1.5", 0x3ff8000000000000), ("-0.0125", 0xbf8999999999999a), ("230.5", 0x406cd00000000000),
        ("3.14159", 0x400921f9f01b866e), ("2.718281828459045", 0x4005bf0a8b145769),
        ("1e6", 0x412e848000000000), ("6.02e23", 0x44dfde9f10a8d361), ("1e-7", 0x3e7ad7f29abcaf48),
        ("123456789012345678", 0x437b69b4ba630f35), ("9007199254740993", 0x4340000000000000),
        ("1e22", 0x4480f0cf064dd592), ("1e23", 0x44b52d02c7e14af6), ("4.35", 0x4011666666666666),
        ("100.01", 0x405900a3d70a3d71), ("-273.15", 0xc071126666666666), ("49.999", 0x4048ffdf3b645a1d),
        ("1E+2", 0x4059000000000000), ("1e-2", 0x3f847ae147ae147b), ("12345.6789e-3", 0x4028b0fcd324d5a2),
        ("0.000001", 0x3eb0c6f7a0b5ed8d), ("0.1e1", 0x3ff0000000000000), ("7.038531e-26", 0x3ab5c87fb0000000),
        ("-0", 0x8000000000000000), ("0.000", 0x0000000000000000),
    ]

    /// Beyond the exact fast path (more than 2^53 in the significand, or exponents beyond ±22):
    /// within 1 ULP of Python's value (double-double scaling, see DecimalConversion).
    static let pythonExtremes: [(String, UInt64)] = [
        ("1.7976931348623157e308", 0x7fefffffffffffff), ("2.2250738585072014e-308", 0x0010000000000000),
        ("5e-324", 0x0000000000000001), ("0.30000000000000004", 0x3fd3333333333334),
        ("1234567890.123456789", 0x41d26580b487e6b7), ("3.4028235e38", 0x47efffffe54daff8),
        ("1.401298464324817e-45", 0x36a0000000000000), ("8.98846567431158e307", 0x7fe0000000000000),
        ("1e-300", 0x01a56e1fc2f8f359), ("123e-310", 0x0008d83aff3e96b1),
    ]

    @Test func typicalValuesMatchPythonExactly() throws {
        for (text, bits) in Self.pythonValues {
            let d = try Self.double(text)
            #expect(d.bitPattern == bits, "\(text): got \(String(d.bitPattern, radix: 16))")
        }
    }

    @Test func extremeValuesAreWithinOneULPOfPython() throws {
        for (text, bits) in Self.pythonExtremes {
            let d = try Self.double(text)
            let distance = d.bitPattern > bits ? d.bitPattern - bits : bits - d.bitPattern
            #expect(distance <= 1, "\(text): expected \(String(bits, radix: 16)) got \(String(d.bitPattern, radix: 16)), off by \(distance) ULP")
        }
    }

    /// Random 1-19 digit significands with exponents across the whole range, against the host's
    /// correctly rounded strtod (Swift's Double(String)): at most 1 ULP apart, nearly always 0.
    @Test func randomDecimalsMatchStrtod() throws {
        var g = JSONFuzzTests.SplitMix64(state: 0x5EED_0005)
        var exact = 0
        let total = 3000
        for _ in 0..<total {
            let digits = Int.random(in: 1...19, using: &g)
            var text = String(Int.random(in: 1...9, using: &g))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &g)) }
            text += "e" + String(Int.random(in: -330...(308 - digits), using: &g))
            let expected = Double(text)!
            let got = try Self.double(text)
            let distance = got.bitPattern > expected.bitPattern ? got.bitPattern - expected.bitPattern : expected.bitPattern - got.bitPattern
            #expect(distance <= 1, "\(text): expected \(expected) got \(got)")
            if distance == 0 { exact += 1 }
        }
        #expect(exact >= total * 99 / 100, "only \(exact) of \(total) exact")
    }

    @Test func overflowIsAnErrorAndUnderflowIsZero() throws {
        #expect(Self.reason { try Self.double("1e309") } == .numberOutOfRange(.double))
        #expect(Self.reason { try Self.double("-1e99999999999") } == .numberOutOfRange(.double))
        #expect(try Self.double("1e-400") == 0)
        #expect(try Self.double("-1e-99999999999") == 0)
    }

    @Test func manyDigitsAreRoundedNotRejected() throws {
        let long = "3.14159265358979323846264338327950288419716939937510"
        #expect(abs(try Self.double(long) - Double.pi) <= Double.pi.ulp)
        let zeros = "0." + String(repeating: "0", count: 30) + "15"
        #expect(abs(try Self.double(zeros) - 1.5e-31) <= 2 * (1.5e-31).ulp)
    }

    /// Writer and reader agree: every double written reads back to the same value (15 digits
    /// or fewer reproduce it) or within 15 significant digits when it needs 16-17.
    @Test func writtenDoublesReadBack() throws {
        var generator = JSONFuzzTests.SplitMix64(state: 0x5EED_0004)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        for _ in 0..<5000 {
            let value: Double
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: value = Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 100
            case 1: value = Double.random(in: -1e6...1e6, using: &generator)
            default: value = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator))
            }
            guard value.isFinite else { continue }
            var w = JSONWriter(buffer: buffer)
            try w.value(value)
            let text = String(decoding: w.bytes, as: UTF8.self)
            let back = try Self.double(text)
            if value == 0 { #expect(back == 0); continue }
            #expect(abs(back - value) <= abs(value) * 1e-14, "\(value) written as \(text) read as \(back)")
            // Cents are decimal with ≤ 15 digits: they must come back exactly.
            if text.utf8.count <= 10 && value.magnitude >= 1e-3 && value.magnitude < 1e7 {
                #expect(back == value, "\(text)")
            }
        }
    }
}
