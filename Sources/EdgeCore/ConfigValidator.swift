/// An object being validated: its members, where it is in the document and in the source.
public struct ConfigObject: Sendable {
    public var members: [JSONMember]
    public var path: JSONPath
    public var location: JSONLocation

    public init(members: [JSONMember], path: JSONPath, location: JSONLocation) {
        self.members = members
        self.path = path
        self.location = location
    }

    /// The first member with this key.
    public func member(_ key: String) -> JSONMember? {
        members.first(where: { $0.key == key })
    }
}

/// Reads typed values out of a `JSONValue` tree and collects every problem as a `ConfigError`
/// (file, path, line and column, reason) instead of stopping at the first, so a config or board
/// file is refused with all of its mistakes listed. Each accessor returns nil when the value is
/// missing or wrong and has then recorded why; the caller builds its model from the non-nil
/// results and checks `errors` at the end. Start-up only: allocates.
///
///     var v = ConfigValidator(file: "config.json")
///     guard let doc = v.loadDocument(), let root = v.object(doc, at: .root, allowedKeys: ["buses"]) else { ... }
///     let baud = v.integer(in: port, "baud", range: 50...4_000_000)
///     // "config.json: buses[2].baud (line 14, column 15): expected an integer, found \"fast\""
public struct ConfigValidator {
    /// The file name used in messages (as the user gave it).
    public let file: String
    /// Every problem found so far, in the order found.
    public private(set) var errors: [ConfigError] = []

    public init(file: String) { self.file = file }

    public var hasErrors: Bool { !errors.isEmpty }

    /// Records a problem.
    public mutating func report(_ message: String, at path: JSONPath, _ location: JSONLocation?) {
        errors.append(ConfigError(file: file, path: path, location: location, message: message))
    }

    /// Records a problem with a value.
    public mutating func report(_ message: String, at path: JSONPath, value: JSONValue) {
        report(message, at: path, value.location)
    }

    /// The errors so far as one thrown value.
    public var collected: ConfigErrors { ConfigErrors(errors) }

    // MARK: Documents

    /// Reads and parses `file` (at most `limit` bytes); records why not and returns nil otherwise.
    public mutating func loadDocument(limit: Int = 1 << 20) -> JSONValue? {
        let bytes: [UInt8]
        do {
            bytes = try FileBytes.read(path: file, limit: limit)
        } catch {
            report(error.message, at: .root, nil)
            return nil
        }
        return parseDocument(bytes)
    }

    /// Parses a document held in memory; records a syntax error and returns nil if it is not JSON.
    public mutating func parseDocument(_ bytes: [UInt8]) -> JSONValue? {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            report(error.message, at: .root, JSONLocation(line: error.line, column: error.column))
            return nil
        }
    }

    // MARK: Objects and keys

    /// The value as an object. Reports a value that is not an object, every key not in
    /// `allowedKeys` (naming the allowed ones) and every key given twice.
    public mutating func object(_ value: JSONValue, at path: JSONPath, allowedKeys: [String]) -> ConfigObject? {
        guard let members = value.objectMembers else {
            report("expected an object, found " + value.summary, at: path, value: value)
            return nil
        }
        let object = ConfigObject(members: members, path: path, location: value.location)
        checkKeys(object, allowed: allowedKeys)
        return object
    }

    /// Reports each unknown key (with a "did you mean" for a near miss, and the list of allowed
    /// keys) and each duplicate key, at the key's own line and column.
    public mutating func checkKeys(_ object: ConfigObject, allowed: [String]) {
        for (i, m) in object.members.enumerated() {
            if let first = object.members[..<i].first(where: { $0.key == m.key }) {
                report("duplicate key \"\(m.key)\" (first at line \(first.keyLocation.line), column \(first.keyLocation.column))",
                       at: object.path.key(m.key), m.keyLocation)
                continue
            }
            if allowed.contains(m.key) { continue }
            report(ConfigValidator.unknownKeyMessage(m.key, allowed: allowed), at: object.path.key(m.key), m.keyLocation)
        }
    }

    /// `unknown key "bauds" (did you mean "baud"?); allowed keys: name, device, baud`.
    public static func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
        var message = "unknown key \"\(key)\""
        var best: String? = nil
        var bestDistance = 3
        for candidate in allowed {
            let d = editDistance(key, candidate, limit: bestDistance)
            if d < bestDistance { best = candidate; bestDistance = d }
        }
        if let best { message += " (did you mean \"\(best)\"?)" }
        if allowed.isEmpty {
            message += "; no keys are allowed here"
        } else {
            message += "; allowed keys: "
            for (i, k) in allowed.enumerated() {
                if i > 0 { message += ", " }
                message += k
            }
        }
        return message
    }

    /// Levenshtein distance over UTF-8 bytes, stopping early at `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if abs(x.count - y.count) >= limit { return limit }
        if x.isEmpty || y.isEmpty { return max(x.count, y.count) }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMin = min(rowMin, current[j])
            }
            if rowMin >= limit { return limit }
            swap(&previous, &current)
        }
        return min(previous[y.count], limit)
    }

    /// The member's value, or nil; when `required`, a missing key is reported at the object.
    public mutating func value(in object: ConfigObject, _ key: String, required: Bool) -> JSONValue? {
        if let m = object.member(key) { return m.value }
        if required { report("missing required key \"\(key)\"", at: object.path, object.location) }
        return nil
    }

    // MARK: Typed values

    public mutating func string(_ value: JSONValue, at path: JSONPath, allowEmpty: Bool = false) -> String? {
        guard let s = value.stringValue else {
            report("expected a string, found " + value.summary, at: path, value: value)
            return nil
        }
        if !allowEmpty && s.isEmpty {
            report("expected a non-empty string", at: path, value: value)
            return nil
        }
        return s
    }

    public mutating func bool(_ value: JSONValue, at path: JSONPath) -> Bool? {
        guard let b = value.boolValue else {
            report("expected a boolean (true or false), found " + value.summary, at: path, value: value)
            return nil
        }
        return b
    }

    /// An integer (no fraction, no exponent) within `range`.
    public mutating func integer(_ value: JSONValue, at path: JSONPath,
                                 range: ClosedRange<Int64> = Int64.min...Int64.max) -> Int64? {
        guard let n = value.numberValue else {
            report("expected an integer, found " + value.summary, at: path, value: value)
            return nil
        }
        guard let i = n.int64 else {
            let integerText = !n.text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
            if integerText {
                report("integer \(n.text) is out of range \(range.lowerBound)...\(range.upperBound)", at: path, value: value)
            } else {
                report("expected an integer, found " + value.summary, at: path, value: value)
            }
            return nil
        }
        guard range.contains(i) else {
            report("integer \(n.text) is out of range \(range.lowerBound)...\(range.upperBound)", at: path, value: value)
            return nil
        }
        return i
    }

    /// A number (integer or not) within `range`; its text is kept in the message.
    public mutating func double(_ value: JSONValue, at path: JSONPath,
                                range: ClosedRange<Double>? = nil) -> Double? {
        guard let n = value.numberValue, let d = n.double else {
            if let n = value.numberValue {
                report("number \(n.text) is too large", at: path, value: value)
            } else {
                report("expected a number, found " + value.summary, at: path, value: value)
            }
            return nil
        }
        if let range, !range.contains(d) {
            report("number \(n.text) is out of the allowed range", at: path, value: value)
            return nil
        }
        return d
    }

    /// A string that must be one of `choices`.
    public mutating func choice(_ value: JSONValue, at path: JSONPath, _ choices: [String]) -> String? {
        guard let s = value.stringValue, choices.contains(s) else {
            var message = "expected one of "
            for (i, c) in choices.enumerated() {
                if i > 0 { message += ", " }
                message += "\"" + c + "\""
            }
            report(message + ", found " + value.summary, at: path, value: value)
            return nil
        }
        return s
    }

    /// An array, with its element count within `count` if given.
    public mutating func array(_ value: JSONValue, at path: JSONPath, count: ClosedRange<Int>? = nil) -> [JSONValue]? {
        guard let a = value.arrayElements else {
            report("expected an array, found " + value.summary, at: path, value: value)
            return nil
        }
        if let count, !count.contains(a.count) {
            if count.lowerBound == count.upperBound {
                report("expected \(count.lowerBound) elements, found \(a.count)", at: path, value: value)
            } else {
                report("expected \(count.lowerBound) to \(count.upperBound) elements, found \(a.count)", at: path, value: value)
            }
            return nil
        }
        return a
    }

    /// A size or offset in bytes: a non-negative integer, or a string with a decimal or `0x` hex
    /// number and an optional binary unit: `"0x3fe000"`, `"512KiB"`, `"64 MiB"`, `"1GiB"`.
    /// Values above `Int.max` of the running platform (2 GiB - 1 on 32-bit boards) are refused:
    /// every size and offset ends up as an `Int` (or `Int64`) and must convert without a trap.
    public mutating func byteCount(_ value: JSONValue, at path: JSONPath) -> UInt64? {
        let expected = "expected a byte count (an integer, \"0x4000\" or \"512KiB\"), found "
        let count: UInt64
        if let n = value.numberValue {
            guard let u = n.uint64 else {
                report(expected + value.summary, at: path, value: value)
                return nil
            }
            count = u
        } else {
            guard let s = value.stringValue, let u = ConfigValidator.parseByteCount(s) else {
                report(expected + value.summary, at: path, value: value)
                return nil
            }
            count = u
        }
        guard count <= ConfigValidator.largestByteCount else {
            report("\(count) bytes is more than this \(Int.bitWidth)-bit platform can address (at most \(Int.max))", at: path, value: value)
            return nil
        }
        return count
    }

    /// The largest size or offset `byteCount` accepts: `Int.max` of the running platform.
    public static var largestByteCount: UInt64 { UInt64(Int.max) }

    /// Parses `"0x3fe000"`, `"4096"`, `"512KiB"`, `"64 MiB"`, `"1GiB"`; nil if malformed or too big.
    public static func parseByteCount(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        var i = 0
        var value: UInt64 = 0
        var digits = 0
        if bytes.count > 2 && bytes[0] == UInt8(ascii: "0") && (bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "X")) {
            i = 2
            while i < bytes.count {
                let c = bytes[i]
                let d: UInt64
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt64(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt64(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt64(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
                guard value >> 60 == 0 else { return nil }
                value = value << 4 | d
                digits += 1
                i += 1
            }
            return digits > 0 ? value : nil
        }
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(bytes[i] - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = s
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
        let unit = String(decoding: bytes[i...], as: UTF8.self)
        let shift: UInt64
        switch unit {
        case "", "B": shift = 0
        case "KiB": shift = 10
        case "MiB": shift = 20
        case "GiB": shift = 30
        default: return nil
        }
        guard value >> (64 - shift) == 0 || shift == 0 else { return nil }
        return value << shift
    }

    // MARK: Members by key (value lookup plus typed access, paths built for you)

    public mutating func string(in object: ConfigObject, _ key: String, required: Bool = true) -> String? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return string(v, at: object.path.key(key))
    }

    public mutating func bool(in object: ConfigObject, _ key: String, required: Bool = true) -> Bool? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return bool(v, at: object.path.key(key))
    }

    public mutating func integer(in object: ConfigObject, _ key: String, required: Bool = true,
                                 range: ClosedRange<Int64> = Int64.min...Int64.max) -> Int64? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return integer(v, at: object.path.key(key), range: range)
    }

    public mutating func double(in object: ConfigObject, _ key: String, required: Bool = true,
                                range: ClosedRange<Double>? = nil) -> Double? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return double(v, at: object.path.key(key), range: range)
    }

    public mutating func choice(in object: ConfigObject, _ key: String, required: Bool = true, _ choices: [String]) -> String? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return choice(v, at: object.path.key(key), choices)
    }

    public mutating func byteCount(in object: ConfigObject, _ key: String, required: Bool = true) -> UInt64? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return byteCount(v, at: object.path.key(key))
    }

    public mutating func object(in object: ConfigObject, _ key: String, required: Bool = true,
                                allowedKeys: [String]) -> ConfigObject? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return self.object(v, at: object.path.key(key), allowedKeys: allowedKeys)
    }

    public mutating func array(in object: ConfigObject, _ key: String, required: Bool = true,
                               count: ClosedRange<Int>? = nil) -> [JSONValue]? {
        guard let v = value(in: object, key, required: required) else { return nil }
        return array(v, at: object.path.key(key), count: count)
    }
}
