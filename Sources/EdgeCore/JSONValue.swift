/// A JSON document as a tree, for config and board files read once at start-up (it allocates:
/// Strings and Arrays). Every value keeps the line and column where it starts in the source, and
/// objects keep their members in source order (duplicates included), so validation can name the
/// exact place of a problem. Built on `JSONReader`, so it accepts exactly what the reader does.
public struct JSONValue: Sendable {
    /// What the value is.
    public enum Kind: Sendable {
        /// Members in source order (the ordered key/value pairs of the object).
        case object([JSONMember])
        case array([JSONValue])
        case string(String)
        case number(JSONNumber)
        case bool(Bool)
        case null
    }

    public var kind: Kind
    /// Where the value starts in the source.
    public var location: JSONLocation

    public init(_ kind: Kind, location: JSONLocation) {
        self.kind = kind
        self.location = location
    }

    /// Parses a whole JSON text (see `JSONReader` for what is accepted).
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        var tracker = ColumnTracker()
        let first = try reader.next()
        let value = try parseValue(first, &reader, &tracker)
        _ = try reader.next()   // endOfDocument, or an error for trailing data
        return value
    }

    /// Parses a JSON text held in an array of bytes.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        let result: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { buffer in
            do throws(JSONError) {
                return .success(try parse(buffer, maxDepth: maxDepth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses a JSON text given as a String.
    public static func parse(_ text: String, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private static func parseValue(_ token: JSONToken, _ reader: inout JSONReader,
                                   _ tracker: inout ColumnTracker) throws(JSONError) -> JSONValue {
        let location = tracker.location(of: token, in: reader.input)
        switch token.kind {
        case .beginObject:
            var members: [JSONMember] = []
            while true {
                let key = try reader.next()
                if key.kind == .endObject { break }
                let name = try makeString(key, reader)
                let keyLocation = tracker.location(of: key, in: reader.input)
                let valueToken = try reader.next()
                let value = try parseValue(valueToken, &reader, &tracker)
                members.append(JSONMember(key: name, keyLocation: keyLocation, value: value))
            }
            return JSONValue(.object(members), location: location)
        case .beginArray:
            var elements: [JSONValue] = []
            while true {
                let t = try reader.next()
                if t.kind == .endArray { break }
                elements.append(try parseValue(t, &reader, &tracker))
            }
            return JSONValue(.array(elements), location: location)
        case .string:
            return JSONValue(.string(try makeString(token, reader)), location: location)
        case .number:
            let raw = reader.rawBytes(of: token)
            let text = String(decoding: raw, as: UTF8.self)
            var number = JSONNumber(text: text, int64: nil, uint64: nil, double: nil)
            if token.isInteger {
                number.int64 = try? reader.int64(token)
                number.uint64 = try? reader.uint64(token)
            }
            number.double = try? reader.double(token)
            return JSONValue(.number(number), location: location)
        case .bool:
            return JSONValue(.bool(token.boolValue), location: location)
        case .null:
            return JSONValue(.null, location: location)
        case .endObject, .endArray, .key, .endOfDocument:
            // The reader never yields these where a value starts; report rather than trap.
            throw JSONError(.unexpectedEndOfInput, offset: token.start, line: location.line, column: location.column)
        }
    }

    private static func makeString(_ token: JSONToken, _ reader: JSONReader) throws(JSONError) -> String {
        if !token.hasEscapes {
            return String(decoding: reader.rawBytes(of: token), as: UTF8.self)
        }
        var scratch = [UInt8](repeating: 0, count: reader.unescapedCount(token))
        let result: Result<Int, JSONError> = scratch.withUnsafeMutableBytes { buffer in
            do throws(JSONError) {
                return .success(try reader.string(token, into: buffer))
            } catch {
                return .failure(error)
            }
        }
        _ = try result.get()
        return String(decoding: scratch, as: UTF8.self)
    }

    // MARK: Access

    /// The members if this is an object.
    public var objectMembers: [JSONMember]? {
        if case .object(let m) = kind { return m }
        return nil
    }

    /// The elements if this is an array.
    public var arrayElements: [JSONValue]? {
        if case .array(let a) = kind { return a }
        return nil
    }

    /// The text if this is a string.
    public var stringValue: String? {
        if case .string(let s) = kind { return s }
        return nil
    }

    /// The number if this is a number.
    public var numberValue: JSONNumber? {
        if case .number(let n) = kind { return n }
        return nil
    }

    /// The flag if this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = kind { return b }
        return nil
    }

    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// The first member's value with this key, if this is an object that has one.
    public subscript(key: String) -> JSONValue? {
        objectMembers?.first(where: { $0.key == key })?.value
    }

    /// What the value is, in words for error messages: `"fast"` (quoted, shortened past 40
    /// characters), `1.5`, `true`, `null`, `an object`, `an array`.
    public var summary: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let s):
            var shown = ""
            var count = 0
            for scalar in s.unicodeScalars {
                if count == 40 { shown += "..."; break }
                if scalar == "\"" || scalar == "\\" { shown += "\\" }
                if scalar.value < 0x20 { shown += "?" } else { shown.unicodeScalars.append(scalar) }
                count += 1
            }
            return "\"" + shown + "\""
        case .number(let n): return n.text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    /// The kind in words: "an object", "an array", "a string", "a number", "a boolean", "null".
    public var kindName: String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// Columns of tokens met in document order, counted on from the previous token of the same line,
/// so that building a tree of a long one-line document stays linear (`JSONReader.location(of:)`
/// scans from the start of the line each time).
struct ColumnTracker {
    var lineStart = -1
    var offset = 0
    var column = 1

    mutating func location(of token: JSONToken, in input: UnsafeRawBufferPointer) -> JSONLocation {
        let target = token.start
        if token.lineStart != lineStart || target < offset {
            lineStart = token.lineStart
            offset = token.lineStart
            column = 1
        }
        while offset < target && offset < input.count {
            if input[offset] & 0xC0 != 0x80 { column += 1 }
            offset += 1
        }
        return JSONLocation(line: token.line, column: column)
    }
}

/// One member of a JSON object: its key, where the key is, and the value.
public struct JSONMember: Sendable {
    public var key: String
    public var keyLocation: JSONLocation
    public var value: JSONValue

    public init(key: String, keyLocation: JSONLocation, value: JSONValue) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

/// A JSON number as written and as parsed: the source text, and each type it fits exactly
/// (`int64`/`uint64` only for integers without fraction or exponent, `double` unless it
/// overflows).
public struct JSONNumber: Sendable, Equatable {
    public var text: String
    public var int64: Int64?
    public var uint64: UInt64?
    public var double: Double?

    public init(text: String, int64: Int64?, uint64: UInt64?, double: Double?) {
        self.text = text
        self.int64 = int64
        self.uint64 = uint64
        self.double = double
    }
}
