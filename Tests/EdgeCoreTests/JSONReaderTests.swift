import EdgeCore
import Testing

/// JSONReader: the token stream, string unescaping, and strictness with exact error locations.
@Suite struct JSONReaderTests {
    /// The tokens of `text` as short words, e.g. `{ key:a num:1 }`.
    static func tokens(_ text: String) throws(JSONError) -> [String] {
        let bytes = Array(text.utf8)
        let result: Result<[String], JSONError> = bytes.withUnsafeBytes { input in
            var reader = JSONReader(input)
            var out: [String] = []
            do throws(JSONError) {
                while true {
                    let t = try reader.next()
                    switch t.kind {
                    case .beginObject: out.append("{")
                    case .endObject: out.append("}")
                    case .beginArray: out.append("[")
                    case .endArray: out.append("]")
                    case .key: out.append("key:" + String(decoding: reader.rawBytes(of: t), as: UTF8.self))
                    case .string: out.append("str:" + String(decoding: reader.rawBytes(of: t), as: UTF8.self))
                    case .number: out.append("num:" + String(decoding: reader.rawBytes(of: t), as: UTF8.self))
                    case .bool: out.append(t.boolValue ? "true" : "false")
                    case .null: out.append("null")
                    case .endOfDocument: return .success(out)
                    }
                }
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The error reading `text` fails with (nil if it reads fine).
    static func error(_ text: String, maxDepth: Int = 64) -> JSONError? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { input -> JSONError? in
            var reader = JSONReader(input, maxDepth: maxDepth)
            do throws(JSONError) {
                while try reader.next().kind != .endOfDocument {}
                return nil
            } catch {
                return error
            }
        }
    }

    @Test func yieldsTokensWithByteRanges() throws {
        let t = try Self.tokens(#" {"a": [1, -2.5e3, "x\ty", true, false, null], "b" : {} } "#)
        #expect(t == ["{", "key:a", "[", "num:1", "num:-2.5e3", #"str:x\ty"#, "true", "false", "null", "]",
                      "key:b", "{", "}", "}"])
        #expect(try Self.tokens("42") == ["num:42"])
        #expect(try Self.tokens(#""top""#) == ["str:top"])
    }

    @Test func unescapesIntoTheScratchBuffer() throws {
        let text = #""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { input throws in
            var reader = JSONReader(input)
            let t = try reader.next()
            #expect(t.hasEscapes)
            let expected = Array("a\"b\\c/d\u{08}\u{0C}\n\r\tAé€😀".utf8)
            #expect(reader.unescapedCount(t) == expected.count)
            var scratch = [UInt8](repeating: 0, count: 64)
            let n = try scratch.withUnsafeMutableBytes { try reader.string(t, into: $0) }
            #expect(Array(scratch[0..<n]) == expected)
            // Too small a scratch buffer is an error naming the size needed.
            var small = [UInt8](repeating: 0, count: 4)
            #expect(throws: JSONError.self) { try small.withUnsafeMutableBytes { try reader.string(t, into: $0) } }
            do {
                _ = try small.withUnsafeMutableBytes { try reader.string(t, into: $0) }
            } catch let e as JSONError {
                #expect(e.reason == .scratchTooSmall(needed: expected.count))
            }
        }
    }

    @Test func comparesKeysWithoutAScratchBuffer() throws {
        let bytes = Array(#"{"baud": 1, "b\u0061ud": 2, "bau": 3}"#.utf8)
        try bytes.withUnsafeBytes { input throws in
            var reader = JSONReader(input)
            _ = try reader.next()
            var matches: [Bool] = []
            while true {
                let t = try reader.next()
                if t.kind == .endObject { break }
                matches.append(reader.equals(t, "baud"))
                try reader.skipValue()
            }
            #expect(matches == [true, true, false])
        }
    }

    @Test func skipsWholeValues() throws {
        let bytes = Array(#"{"skip": {"a": [1, {"b": []}], "c": "}"}, "keep": 7}"#.utf8)
        try bytes.withUnsafeBytes { input throws in
            var reader = JSONReader(input)
            _ = try reader.next()
            let k = try reader.next()
            #expect(reader.equals(k, "skip"))
            try reader.skipValue()
            let k2 = try reader.next()
            #expect(reader.equals(k2, "keep"))
            #expect(try reader.int64(try reader.next()) == 7)
            #expect(try reader.next().kind == .endObject)
            #expect(try reader.next().kind == .endOfDocument)
        }
    }

    @Test func reportsTokenLocationsInLinesAndColumns() throws {
        let text = "{\n  \"name\": \"é\",\n\t\"x\": [1,\n    true]\n}"
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { input throws in
            var reader = JSONReader(input)
            var locations: [JSONLocation] = []
            while true {
                let t = try reader.next()
                if t.kind == .endOfDocument { break }
                locations.append(reader.location(of: t))
            }
            #expect(locations.map { "\($0.line):\($0.column)" } ==
                    ["1:1", "2:3", "2:11", "3:2", "3:7", "3:8", "4:5", "4:9", "5:1"])
        }
    }

    /// Every kind of error, with the line and column of the offending byte.
    @Test(arguments: [
        ("", "line 1, column 1: unexpected end of input"),
        ("  ", "line 1, column 3: unexpected end of input"),
        ("[1,]", "line 1, column 4: trailing comma before ']'"),
        ("{\"a\":1,}", "line 1, column 8: trailing comma before '}'"),
        ("{\n  \"a\": 1,\n  }", "line 3, column 3: trailing comma before '}'"),
        ("[1 2]", "line 1, column 4: expected ',' or ']', found '2'"),
        ("{\"a\":1 \"b\":2}", "line 1, column 8: expected ',' or '}', found '\"'"),
        ("{\"a\" 1}", "line 1, column 6: expected ':' after the key, found '1'"),
        ("{a:1}", "line 1, column 2: expected a string key in double quotes, found 'a'"),
        ("{'a':1}", "line 1, column 2: expected a string key in double quotes, found '''"),
        ("[1] [2]", "line 1, column 5: expected the end of the document, found '['"),
        ("[}", "line 1, column 2: expected a value, found '}'"),
        ("{\"a\":}", "line 1, column 6: expected a value, found '}'"),
        ("// note\n{}", "line 1, column 1: comments are not allowed in JSON"),
        ("{\"a\": 1 /* c */}", "line 1, column 9: comments are not allowed in JSON"),
        ("[tru]", "line 1, column 2: invalid literal (expected true, false or null)"),
        ("nul", "line 1, column 4: unexpected end of input"),
        ("[NaN]", "line 1, column 2: expected a value, found 'N'"),
        ("[01]", "line 1, column 2: invalid number: leading zeros are not allowed"),
        ("[-]", "line 1, column 3: invalid number: expected a digit"),
        ("[+1]", "line 1, column 2: expected a value, found '+'"),
        ("[.5]", "line 1, column 2: expected a value, found '.'"),
        ("[1.]", "line 1, column 4: invalid number: expected a digit after '.'"),
        ("[1e]", "line 1, column 4: invalid number: expected a digit in the exponent"),
        ("[1e+]", "line 1, column 5: invalid number: expected a digit in the exponent"),
        ("[\"a\nb\"]", "line 1, column 4: unescaped control character U+000A in string"),
        ("[\"a\tb\"]", "line 1, column 4: unescaped control character U+0009 in string"),
        ("[\"\\x\"]", "line 1, column 3: invalid escape '\\x' in string"),
        ("[\"\\u12G4\"]", "line 1, column 3: invalid \\u escape (expected four hex digits)"),
        ("[\"\\ud800\"]", "line 1, column 3: unpaired UTF-16 surrogate in \\u escape"),
        ("[\"\\udc00\"]", "line 1, column 3: unpaired UTF-16 surrogate in \\u escape"),
        ("[\"\\ud800\\u0041\"]", "line 1, column 3: unpaired UTF-16 surrogate in \\u escape"),
        ("[\"abc", "line 1, column 6: unexpected end of input"),
        ("{\"a\":[1,2", "line 1, column 10: unexpected end of input"),
        ("\u{FEFF}{}", "line 1, column 1: expected a value, found byte 0xef"),
    ])
    func rejectsInvalidJSONWithLineAndColumn(text: String, expected: String) {
        let e = Self.error(text)
        #expect(e?.description == expected, "for \(text.debugDescription)")
    }

    @Test func rejectsIllFormedUTF8InStrings() {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC3, 0x22],
        ]
        for bytes in cases {
            let e = bytes.withUnsafeBytes { input -> JSONError? in
                var reader = JSONReader(input)
                do throws(JSONError) { _ = try reader.next(); return nil } catch { return error }
            }
            guard case .invalidUTF8? = e?.reason else {
                Issue.record("expected invalidUTF8 for \(bytes), got \(String(describing: e))")
                continue
            }
            #expect(e?.line == 1)
        }
        // Well-formed multi-byte text is fine, and columns count characters, not bytes.
        #expect(Self.error("[\"é€😀\", x]")?.description == "line 1, column 9: expected a value, found 'x'")
    }

    @Test func enforcesTheNestingLimit() {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(Self.error(deep) == nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(Self.error(tooDeep)?.description == "line 1, column 65: nesting deeper than 64 levels")
        let objects = String(repeating: "{\"a\":", count: 5) + "1" + String(repeating: "}", count: 5)
        #expect(Self.error(objects, maxDepth: 5) == nil)
        #expect(Self.error(objects, maxDepth: 4)?.reason == .nestingTooDeep(limit: 4))
    }

    @Test func endOfDocumentRepeatsAndTrailingWhitespaceIsFine() throws {
        let bytes = Array(" {} \r\n\t ".utf8)
        try bytes.withUnsafeBytes { input throws in
            var reader = JSONReader(input)
            #expect(try reader.next().kind == .beginObject)
            #expect(try reader.next().kind == .endObject)
            #expect(try reader.next().kind == .endOfDocument)
            #expect(try reader.next().kind == .endOfDocument)
        }
    }
}
