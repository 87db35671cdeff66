import EdgeCore
import Foundation
import Testing

/// Randomized agreement with Foundation's JSONSerialization, both ways: documents it writes are
/// read by JSONValue (JSONReader) to the same values, and documents JSONWriter writes are read
/// by JSONSerialization to the values we wrote. Seeded, so a failure can be replayed.
@Suite struct JSONFuzzTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet: [Character] = Array("abcXYZ019 _-:,{}[]\"\\/\u{00}\u{01}\u{08}\u{09}\u{0A}\u{0C}\u{0D}\u{1F}\u{7F}éß€中😀🇩🇪")

    static func randomString(_ g: inout SplitMix64) -> String {
        String((0..<Int.random(in: 0...12, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
    }

    /// A random JSON-able Foundation value.
    static func randomValue(_ g: inout SplitMix64, depth: Int) -> Any {
        let choice = Int.random(in: 0..<(depth < 5 ? 9 : 7), using: &g)
        switch choice {
        case 0: return randomString(&g)
        case 1: return Int.random(in: Int.min...Int.max, using: &g)
        case 2: return Int.random(in: -1000...1000, using: &g)
        case 3:
            switch Int.random(in: 0..<3, using: &g) {
            case 0: return Double(Int.random(in: -100_000...100_000, using: &g)) / 100
            case 1: return Double.random(in: -1e9...1e9, using: &g)
            default: return Double.random(in: -1...1, using: &g) * pow(10, Double(Int.random(in: -30...30, using: &g)))
            }
        case 4: return Bool.random(using: &g)
        case 5: return NSNull()
        case 6: return randomString(&g)
        case 7: return (0..<Int.random(in: 0...5, using: &g)).map { _ in randomValue(&g, depth: depth + 1) }
        default:
            var d: [String: Any] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &g) { d[randomString(&g)] = randomValue(&g, depth: depth + 1) }
            return d
        }
    }

    /// True if the tree read by JSONValue equals the Foundation value.
    static func same(_ expected: Any, _ v: JSONValue, tolerance: Double = 1e-15) -> Bool {
        switch expected {
        case let s as String:
            return v.stringValue == s
        case let b as Bool:
            return v.boolValue == b
        case let i as Int:
            return v.numberValue?.int64 == Int64(i)
        case let d as Double:
            guard let got = v.numberValue?.double else { return false }
            return d == 0 ? got == 0 : abs(got - d) <= abs(d) * tolerance
        case is NSNull:
            return v.isNull
        case let a as [Any]:
            guard let e = v.arrayElements, e.count == a.count else { return false }
            return zip(a, e).allSatisfy { same($0, $1, tolerance: tolerance) }
        case let d as [String: Any]:
            guard let m = v.objectMembers, m.count == d.count else { return false }
            return m.allSatisfy { member in d[member.key].map { same($0, member.value, tolerance: tolerance) } ?? false }
        default:
            return false
        }
    }

    /// Writes a Foundation value with JSONWriter.
    static func write(_ value: Any, _ w: inout JSONWriter) throws {
        switch value {
        case let s as String: try w.value(s)
        case let b as Bool: try w.value(b)
        case let i as Int: try w.value(i)
        case let d as Double: try w.value(d)
        case is NSNull: try w.null()
        case let a as [Any]:
            try w.beginArray()
            for e in a { try write(e, &w) }
            try w.endArray()
        case let d as [String: Any]:
            try w.beginObject()
            for (k, v) in d { try w.key(k); try write(v, &w) }
            try w.endObject()
        default:
            Issue.record("unexpected value \(value)")
        }
    }

    /// Compares what JSONSerialization read back with what we wrote.
    static func sameFoundation(_ expected: Any, _ got: Any) -> Bool {
        switch expected {
        case let s as String: return (got as? String) == s
        case let b as Bool: return (got as? NSNumber).map { $0 == NSNumber(value: b) } ?? false
        case let i as Int: return (got as? NSNumber)?.int64Value == Int64(i)
        case let d as Double:
            guard let n = got as? NSNumber else { return false }
            return d == 0 ? n.doubleValue == 0 : abs(n.doubleValue - d) <= abs(d) * 5e-15
        case is NSNull: return got is NSNull
        case let a as [Any]:
            guard let b = got as? [Any], a.count == b.count else { return false }
            return zip(a, b).allSatisfy { sameFoundation($0, $1) }
        case let d as [String: Any]:
            guard let b = got as? [String: Any], b.count == d.count else { return false }
            return d.allSatisfy { k, v in b[k].map { sameFoundation(v, $0) } ?? false }
        default: return false
        }
    }

    @Test func readerAgreesWithJSONSerialization() throws {
        var g = SplitMix64(state: 0x5EED_0001)
        for round in 0..<400 {
            let value: Any = Bool.random(using: &g) ? Self.randomArray(&g) : Self.randomObject(&g)
            let data = try JSONSerialization.data(withJSONObject: value, options: Bool.random(using: &g) ? [.prettyPrinted] : [])
            let parsed = try JSONValue.parse(Array(data))
            #expect(Self.same(value, parsed), "round \(round): \(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test func writerOutputIsReadByJSONSerialization() throws {
        var g = SplitMix64(state: 0x5EED_0002)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { buffer.deallocate() }
        for round in 0..<400 {
            let value: Any = Bool.random(using: &g) ? Self.randomArray(&g) : Self.randomObject(&g)
            var w = JSONWriter(buffer: buffer, asciiOnly: round % 2 == 0)
            try Self.write(value, &w)
            #expect(w.isComplete)
            let data = Data(w.bytes)
            let back = try JSONSerialization.jsonObject(with: data, options: [])
            #expect(Self.sameFoundation(value, back), "round \(round): \(String(decoding: data, as: UTF8.self))")
            // And our own reader reads our own output to the same values.
            #expect(Self.same(value, try JSONValue.parse(Array(data)), tolerance: 5e-15), "round \(round)")
        }
    }

    static func randomArray(_ g: inout SplitMix64) -> [Any] {
        (0..<Int.random(in: 0...6, using: &g)).map { _ in randomValue(&g, depth: 1) }
    }

    static func randomObject(_ g: inout SplitMix64) -> [String: Any] {
        var d: [String: Any] = [:]
        for _ in 0..<Int.random(in: 0...6, using: &g) { d[randomString(&g)] = randomValue(&g, depth: 1) }
        return d
    }

    /// Mutated documents never crash the reader: every byte flipped, dropped or duplicated
    /// gives either a document or a JSONError with a location inside the input.
    @Test func mutatedDocumentsFailCleanly() throws {
        var g = SplitMix64(state: 0x5EED_0003)
        let noise: [UInt8] = Array("{}[],:\"\\/u0e-+.tfn \n".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xED, 0xFF]
        for _ in 0..<200 {
            let data = try JSONSerialization.data(withJSONObject: Self.randomObject(&g), options: [])
            var bytes = Array(data)
            for _ in 0..<Int.random(in: 1...3, using: &g) where !bytes.isEmpty {
                let i = Int.random(in: 0..<bytes.count, using: &g)
                switch Int.random(in: 0..<3, using: &g) {
                case 0: bytes[i] = noise.randomElement(using: &g)!
                case 1: bytes.remove(at: i)
                default: bytes.insert(bytes[i], at: i)
                }
            }
            do {
                _ = try JSONValue.parse(bytes)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
                #expect(error.line >= 1 && error.column >= 1)
            }
        }
    }
}
