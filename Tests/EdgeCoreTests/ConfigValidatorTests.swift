import EdgeCore
import Foundation
import Testing

/// The config helpers: JSONValue keeps locations, JSONPath spells paths, ConfigValidator
/// collects every problem with file, path, line and column.
@Suite struct ConfigValidatorTests {
    static let config = """
    {
      "buses": [
        {"name": "a", "baud": 9600},
        {"name": "b", "baud": 19200},
        {"name": "c", "baud": "fast", "parity": "none", "bauds": 1}
      ],
      "name": "x",
      "name": "y",
      "ringLog": {"size": "64MiB", "eraseSize": "0x20000", "bad": "12 KB"}
    }
    """

    @Test func valuesKeepTheirSourceLocations() throws {
        let doc = try JSONValue.parse(Self.config)
        let baud = doc["buses"]?.arrayElements?[2]["baud"]
        #expect(baud?.stringValue == "fast")
        #expect(baud?.location == JSONLocation(line: 5, column: 27))
        let members = try #require(doc.objectMembers)
        #expect(members.map(\.key) == ["buses", "name", "name", "ringLog"])
        #expect(members[2].keyLocation == JSONLocation(line: 8, column: 3))
        let n = try #require(JSONValue.parse("[-12.50e1]").arrayElements?.first?.numberValue)
        #expect(n.text == "-12.50e1" && n.double == -125 && n.int64 == nil)
    }

    @Test func longOneLineDocumentsKeepExactColumns() throws {
        // 200,000 elements on one line: columns are counted on, not rescanned per value.
        var text = "["
        for i in 0..<200_000 { text += i == 0 ? "\"é\"" : ",\(i % 10)" }
        text += "]"
        let doc = try JSONValue.parse(text)
        let elements = try #require(doc.arrayElements)
        #expect(elements.count == 200_000)
        #expect(elements[0].location == JSONLocation(line: 1, column: 2))
        #expect(elements[1].location == JSONLocation(line: 1, column: 6))
        #expect(elements[199_999].location == JSONLocation(line: 1, column: 6 + 2 * 199_998))
    }

    @Test func pathsReadLikeTheDocument() {
        let p = JSONPath.root.key("buses").index(2).key("baud")
        #expect(p.text == "buses[2].baud")
        #expect(JSONPath.root.key("odd key").key("x\"y").index(0).text == #"["odd key"]["x\"y"][0]"#)
        #expect(JSONPath.root.description == "(document)")
    }

    @Test func collectsEveryErrorWithFilePathAndLocation() throws {
        var v = ConfigValidator(file: "config.json")
        let parsed = v.parseDocument(Array(Self.config.utf8))
        let doc = try #require(parsed)
        let rootObject = v.object(doc, at: .root, allowedKeys: ["buses", "name", "ringLog"])
        let root = try #require(rootObject)
        let buses = v.array(in: root, "buses") ?? []
        for (i, bus) in buses.enumerated() {
            guard let o = v.object(bus, at: root.path.key("buses").index(i), allowedKeys: ["name", "baud", "parity"]) else { continue }
            _ = v.string(in: o, "name")
            _ = v.integer(in: o, "baud", range: 50...4_000_000)
            _ = v.choice(in: o, "parity", required: false, ["none", "even", "odd"])
        }
        let ringObject = v.object(in: root, "ringLog", allowedKeys: ["size", "eraseSize", "bad"])
        let ring = try #require(ringObject)
        let size = v.byteCount(in: ring, "size")
        let erase = v.byteCount(in: ring, "eraseSize")
        #expect(size == 64 << 20)
        #expect(erase == 0x20000)
        _ = v.byteCount(in: ring, "bad")
        _ = v.string(in: root, "missing")
        #expect(v.errors.map(\.description) == [
            #"config.json: name (line 8, column 3): duplicate key "name" (first at line 7, column 3)"#,
            #"config.json: buses[2].bauds (line 5, column 53): unknown key "bauds" (did you mean "baud"?); allowed keys: name, baud, parity"#,
            #"config.json: buses[2].baud (line 5, column 27): expected an integer, found "fast""#,
            #"config.json: ringLog.bad (line 9, column 63): expected a byte count (an integer, "0x4000" or "512KiB"), found "12 KB""#,
            #"config.json (line 1, column 1): missing required key "missing""#,
        ])
    }

    @Test func integerErrorsSayWhatWasFound() throws {
        var v = ConfigValidator(file: "c.json")
        let doc = try JSONValue.parse(#"{"a": 1.5, "b": 99999999999999999999, "c": 300, "d": null, "e": [1], "f": true}"#)
        let object = v.object(doc, at: .root, allowedKeys: ["a", "b", "c", "d", "e", "f"])
        let o = try #require(object)
        for key in ["a", "b", "d", "e"] { _ = v.integer(in: o, key) }
        _ = v.integer(in: o, "c", range: 1...247)
        _ = v.string(in: o, "f")
        _ = v.bool(in: o, "c")
        #expect(v.errors.map(\.message) == [
            "expected an integer, found 1.5",
            "integer 99999999999999999999 is out of range -9223372036854775808...9223372036854775807",
            "expected an integer, found null",
            "expected an integer, found an array",
            "integer 300 is out of range 1...247",
            "expected a string, found true",
            "expected a boolean (true or false), found 300",
        ])
    }

    @Test func syntaxErrorsAndUnreadableFilesBecomeConfigErrors() throws {
        var v = ConfigValidator(file: "bad.json")
        let parsed = v.parseDocument(Array("{\n  \"a\": 1,\n}".utf8))
        #expect(parsed == nil)
        #expect(v.errors.map(\.description) == ["bad.json (line 3, column 1): trailing comma before '}'"])

        var missing = ConfigValidator(file: "/nonexistent/board.json")
        let none = missing.loadDocument()
        #expect(none == nil)
        #expect(missing.errors.map(\.description) == ["/nonexistent/board.json: cannot open: No such file or directory"])

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfgtest-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = dir.appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: 5000).write(to: big)
        var large = ConfigValidator(file: big.path)
        let tooLarge = large.loadDocument(limit: 4096)
        #expect(tooLarge == nil)
        #expect(large.errors.first?.message == "larger than 4096 bytes")
        let ok = dir.appendingPathComponent("ok.json")
        try Data(#"{"x": [1, 2]}"#.utf8).write(to: ok)
        var good = ConfigValidator(file: ok.path)
        let loaded = good.loadDocument()
        #expect(loaded?["x"]?.arrayElements?.count == 2)
        #expect(!good.hasErrors)
    }

    @Test func byteCountsAcceptUnitsAndHex() {
        #expect(ConfigValidator.parseByteCount("4096") == 4096)
        #expect(ConfigValidator.parseByteCount("512KiB") == 512 * 1024)
        #expect(ConfigValidator.parseByteCount("64 MiB") == 64 << 20)
        #expect(ConfigValidator.parseByteCount("1GiB") == 1 << 30)
        #expect(ConfigValidator.parseByteCount("0x3fe000") == 0x3FE000)
        #expect(ConfigValidator.parseByteCount("0x") == nil)
        #expect(ConfigValidator.parseByteCount("12 KB") == nil)
        #expect(ConfigValidator.parseByteCount("-1") == nil)
        #expect(ConfigValidator.parseByteCount("99999999999999999999") == nil)
        #expect(ConfigValidator.parseByteCount("17179869184GiB") == nil)
    }
}
