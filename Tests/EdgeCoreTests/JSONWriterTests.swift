import EdgeCore
import Foundation
import Testing

/// JSONWriter: structure, commas, escaping, numbers, and refusing what does not fit.
@Suite struct JSONWriterTests {
    /// Runs `body` with a writer over a buffer of `capacity` bytes and returns the text.
    static func write(capacity: Int = 1024, asciiOnly: Bool = false,
                      _ body: (inout JSONWriter) throws(JSONWriterError) -> Void) throws -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        defer { buffer.deallocate() }
        var w = JSONWriter(buffer: buffer, asciiOnly: asciiOnly)
        try body(&w)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func refusal(_ body: () throws(JSONWriterError) -> Void) -> JSONWriterError? {
        do { try body(); return nil } catch { return error }
    }

    @Test func placesCommasAndColonsInNestedContainers() throws {
        let text = try Self.write { w throws(JSONWriterError) in
            try w.beginObject()
            try w.key("a"); try w.value(1)
            try w.key("b"); try w.beginArray()
            try w.value(true); try w.null(); try w.beginObject(); try w.endObject()
            try w.beginArray(); try w.endArray(); try w.value("x")
            try w.endArray()
            try w.key("c"); try w.beginObject(); try w.key("d"); try w.value(false); try w.endObject()
            try w.endObject()
            #expect(w.isComplete)
        }
        #expect(text == #"{"a":1,"b":[true,null,{},[],"x"],"c":{"d":false}}"#)
    }

    @Test func escapesQuotesBackslashesAndControlCharacters() throws {
        let text = try Self.write { w throws(JSONWriterError) in
            try w.value("q\"b\\s/\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F}é€😀")
        }
        #expect(text == "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F}é€😀\"")
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? String
        #expect(decoded == "q\"b\\s/\u{08}\u{0C}\n\r\t\u{01}\u{1F}\u{7F}é€😀")
    }

    @Test func asciiOnlyWritesUnicodeEscapesWithSurrogatePairs() throws {
        let text = try Self.write(asciiOnly: true) { w throws(JSONWriterError) in
            try w.beginObject(); try w.key("clé"); try w.value("€😀\n"); try w.endObject()
        }
        #expect(text == #"{"cl\u00e9":"\u20ac\ud83d\ude00\n"}"#)
    }

    @Test func writesIntegersAtTheLimits() throws {
        let text = try Self.write { w throws(JSONWriterError) in
            try w.beginArray()
            try w.value(Int64.min); try w.value(Int64.max); try w.value(UInt64.max)
            try w.value(0); try w.value(-7)
            try w.endArray()
        }
        #expect(text == "[-9223372036854775808,9223372036854775807,18446744073709551615,0,-7]")
    }

    @Test func writesDoublesWithTheShortestDigitsThatReadBack() throws {
        let cases: [(Double, String)] = [
            (0.1, "0.1"), (1.5, "1.5"), (-273.15, "-273.15"), (230.0, "230"), (1e6, "1000000"),
            (0.3, "0.3"), (1e21, "1e21"), (1.5e-8, "1.5e-8"), (1e-7, "0.0000001"), (123456.789, "123456.789"),
            (6.02e23, "6.02e23"), (-0.0, "-0"), (0.0, "0"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.79769313486231e308"),
            (1.0 / 3.0, "0.333333333333333"), (0.1 + 0.2, "0.3"), (100.01, "100.01"), (4.35, "4.35"),
        ]
        for (value, expected) in cases {
            let text = try Self.write { w throws(JSONWriterError) in try w.value(value) }
            #expect(text == expected, "\(value)")
            // Whatever we write parses as JSON to (nearly) the same value.
            let back = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed) as? NSNumber
            #expect(back != nil)
            if let back, value != 0 { #expect(abs(back.doubleValue - value) <= abs(value) * 1e-14, "\(text)") }
        }
    }

    @Test func writesFloat32MeasurementsWithoutBinaryNoise() throws {
        let text = try Self.write { w throws(JSONWriterError) in
            try w.beginArray()
            try w.value(Float(23.4)); try w.value(Float(0.1)); try w.value(Float(-1.25e-5)); try w.value(Float.greatestFiniteMagnitude)
            try w.endArray()
        }
        #expect(text == "[23.4,0.1,-0.0000125,3.4028235e38]")
    }

    @Test func refusesNaNAndInfinity() throws {
        _ = try Self.write { w throws(JSONWriterError) in
            try w.beginArray()
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.value(Double.nan) }; #expect(r == .nonFiniteNumber) }
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.value(-Double.infinity) }; #expect(r == .nonFiniteNumber) }
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.value(Float.infinity) }; #expect(r == .nonFiniteNumber) }
            try w.value(1)
            try w.endArray()
            #expect(String(decoding: w.bytes, as: UTF8.self) == "[1]")
        }
    }

    @Test func overflowIsAnErrorThatLeavesTheBufferUnchanged() throws {
        // Every prefix capacity: each refused call writes nothing, so the text is always a
        // prefix of the full document made of whole tokens.
        let full = #"{"name":"gw-\"1\"","values":[1.5,-20,true,null],"n":18446744073709551615}"#
        for capacity in 0...full.utf8.count {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
            defer { buffer.deallocate() }
            var w = JSONWriter(buffer: buffer)
            var failed = false
            func step(_ f: (inout JSONWriter) throws(JSONWriterError) -> Void) {
                guard !failed else { return }
                let before = w.count
                do { try f(&w) } catch {
                    #expect(error == .bufferFull)
                    #expect(w.count == before)
                    failed = true
                }
            }
            step { w throws(JSONWriterError) in try w.beginObject() }
            step { w throws(JSONWriterError) in try w.key("name") }
            step { w throws(JSONWriterError) in try w.value("gw-\"1\"") }
            step { w throws(JSONWriterError) in try w.key("values") }
            step { w throws(JSONWriterError) in try w.beginArray() }
            step { w throws(JSONWriterError) in try w.value(1.5) }
            step { w throws(JSONWriterError) in try w.value(-20) }
            step { w throws(JSONWriterError) in try w.value(true) }
            step { w throws(JSONWriterError) in try w.null() }
            step { w throws(JSONWriterError) in try w.endArray() }
            step { w throws(JSONWriterError) in try w.key("n") }
            step { w throws(JSONWriterError) in try w.value(UInt64.max) }
            step { w throws(JSONWriterError) in try w.endObject() }
            let text = String(decoding: w.bytes, as: UTF8.self)
            #expect(full.hasPrefix(text))
            #expect(failed == (capacity < full.utf8.count), "capacity \(capacity)")
            if !failed { #expect(text == full) }
        }
    }

    @Test func misplacedCallsAreErrorsNotCrashes() throws {
        _ = try Self.write { w throws(JSONWriterError) in
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.key("a") }; #expect(r == .misplaced) }
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.endArray() }; #expect(r == .misplaced) }
            try w.beginObject()
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.value(1) }; #expect(r == .misplaced) }
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.endArray() }; #expect(r == .misplaced) }
            try w.key("a")
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.key("b") }; #expect(r == .misplaced) }
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.endObject() }; #expect(r == .misplaced) }
            try w.value(1)
            try w.endObject()
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.value(2) }; #expect(r == .misplaced) }
            #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"a":1}"#)
        }
    }

    @Test func nestingBeyondTheLimitIsRefused() throws {
        _ = try Self.write { w throws(JSONWriterError) in
            for _ in 0..<JSONWriter.maxDepth { try w.beginArray() }
            do { let r = Self.refusal { () throws(JSONWriterError) in try w.beginArray() }; #expect(r == .nestingTooDeep) }
            for _ in 0..<JSONWriter.maxDepth { try w.endArray() }
            #expect(w.isComplete)
        }
    }

    @Test func resetStartsANewDocumentInTheSameBuffer() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        var w = JSONWriter(buffer: buffer)
        try w.value("first")
        w.reset()
        try w.beginArray(); try w.value(2); try w.endArray()
        #expect(String(decoding: w.bytes, as: UTF8.self) == "[2]")
    }
}
