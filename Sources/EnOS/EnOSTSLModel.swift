import EdgeCore

/// What a TSL measurepoint's data type lets a device send, as far as this agent is concerned.
public enum EnOSTSLType: UInt8, Equatable, Sendable {
    /// `INT`, `LONG`, `ENUM`, `BOOL`: an integer (EnOS booleans are 0/1, enums their values).
    case integer
    /// `FLOAT`, `DOUBLE`: any number.
    case number
    /// `STRING`, `TEXT`: a string.
    case text
    /// `ARRAY`, `STRUCT`, `MAP`, `OBJECT`, `DATE`, `TIMESTAMP`, `FILE`…: nothing a field point
    /// carries.
    case structured
    /// No type given, or a type name this agent does not know: not checked.
    case unspecified

    /// In words, for logs and the console.
    public var name: StaticString {
        switch self {
        case .integer: return "an integer"
        case .number: return "a number"
        case .text: return "a string"
        case .structured: return "a structured value"
        case .unspecified: return "an unchecked type"
        }
    }
}

/// One measurepoint of a model: its identifier (the key in `tslMeasurepointMap`), its type as
/// the model names it (nil if none) and what that means here. Valid while the parsed bytes are.
public struct EnOSTSLMeasurepoint {
    public let identifier: EnOSText
    public let typeName: EnOSText?
    public let type: EnOSTSLType
}

/// Why a TSL model (the `data` of a `thing.tsltemplate.get` reply) was not taken.
public struct EnOSTSLModelError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case notAnObject
        case noMeasurepointMap
        case measurepointMapNotAnObject
        /// The definition of the measurepoint at this position (0-based) is not an object.
        case definitionNotAnObject(position: Int)
        /// The `dataType` of the measurepoint at this position is neither a string nor `{"type": …}`.
        case badDataType(position: Int)
        case tooManyMeasurepoints(limit: Int)
        case malformedJSON(JSONError)
    }

    public var reason: Reason

    public init(_ reason: Reason) { self.reason = reason }

    public var description: String {
        switch reason {
        case .notAnObject: return "the reply's data is not a JSON object"
        case .noMeasurepointMap: return "the reply's data has no tslMeasurepointMap"
        case .measurepointMapNotAnObject: return "tslMeasurepointMap is not a JSON object"
        case .definitionNotAnObject(let n): return "measurepoint \(n + 1) of tslMeasurepointMap is not an object"
        case .badDataType(let n): return "the dataType of measurepoint \(n + 1) is neither a string nor {\"type\": string}"
        case .tooManyMeasurepoints(let limit): return "tslMeasurepointMap has more than \(limit) measurepoints"
        case .malformedJSON(let e): return "malformed JSON: " + e.description
        }
    }
}

/// The parser of a product's TSL model (spec §8; the reply `data` of `thing.tsltemplate.get`,
/// Java `TslTemplateGetResponse.getMeasurepoints()`): walks `tslMeasurepointMap` in place and
/// hands each measurepoint to the caller. The measurepoint definition's schema is not public;
/// the type is read from `dataType` (a name such as `"DOUBLE"`, or `{"type": "double"}`) or from
/// `dataDefinition.dataType` / `dataDefinition.type`, case-insensitively; without one the
/// measurepoint's type is `unspecified` (its identifier is still checked). Never allocates: the
/// model is validated whole first (a bad model hands out nothing), then walked once more.
public enum EnOSTSLModel {
    /// Validates `data` (at most `limit` measurepoints), then calls `body` for each measurepoint.
    /// Returns the number of measurepoints.
    @discardableResult
    public static func parse(_ data: UnsafeRawBufferPointer, limit: Int,
                             _ body: (EnOSTSLMeasurepoint) -> Void) throws(EnOSTSLModelError) -> Int {
        _ = try walk(data, limit: limit, deliver: false, body)
        return try walk(data, limit: limit, deliver: true, body)
    }

    static func walk(_ data: UnsafeRawBufferPointer, limit: Int, deliver: Bool,
                     _ body: (EnOSTSLMeasurepoint) -> Void) throws(EnOSTSLModelError) -> Int {
        guard data.count > 0 else { throw EnOSTSLModelError(.notAnObject) }
        var r = JSONReader(data)
        do {
            guard try next(&r).kind == .beginObject else { throw EnOSTSLModelError(.notAnObject) }
            var count: Int? = nil
            while true {
                let k = try next(&r)
                if k.kind == .endObject { break }
                if r.equals(k, "tslMeasurepointMap") && count == nil {
                    count = try measurepoints(&r, limit: limit, deliver: deliver, body)
                } else {
                    try skipValue(&r)
                }
            }
            guard let count else { throw EnOSTSLModelError(.noMeasurepointMap) }
            return count
        }
    }

    /// The map's entries; the reader stands before the map's value.
    static func measurepoints(_ r: inout JSONReader, limit: Int, deliver: Bool,
                              _ body: (EnOSTSLMeasurepoint) -> Void) throws(EnOSTSLModelError) -> Int {
        do {
            guard try next(&r).kind == .beginObject else { throw EnOSTSLModelError(.measurepointMapNotAnObject) }
            var n = 0
            while true {
                let key = try next(&r)
                if key.kind == .endObject { return n }
                guard n < limit else { throw EnOSTSLModelError(.tooManyMeasurepoints(limit: limit)) }
                guard try next(&r).kind == .beginObject else { throw EnOSTSLModelError(.definitionNotAnObject(position: n)) }
                var typeName: JSONToken? = nil
                while true {
                    let k = try next(&r)
                    if k.kind == .endObject { break }
                    if r.equals(k, "dataType") || r.equals(k, "dataDefinition") {
                        let nested = r.equals(k, "dataDefinition")
                        let v = try next(&r)
                        if v.kind == .string && !nested {
                            typeName = v
                        } else if v.kind == .beginObject {
                            // {"type": "double"} or dataDefinition {"dataType": "DOUBLE"}.
                            while true {
                                let ik = try next(&r)
                                if ik.kind == .endObject { break }
                                if r.equals(ik, "type") || r.equals(ik, "dataType") {
                                    let iv = try next(&r)
                                    if iv.kind == .string { typeName = iv }
                                    else if iv.kind == .beginObject || iv.kind == .beginArray { try skipRest(&r) }
                                } else {
                                    try skipValue(&r)
                                }
                            }
                            if typeName == nil && !nested { throw EnOSTSLModelError(.badDataType(position: n)) }
                        } else if !nested {
                            if v.kind == .beginArray { try skipRest(&r) }
                            throw EnOSTSLModelError(.badDataType(position: n))
                        } else if v.kind == .beginArray {
                            try skipRest(&r)
                        }
                    } else {
                        try skipValue(&r)
                    }
                }
                if deliver {
                    let name = typeName.map { EnOSText(input: r.input, token: $0) }
                    body(EnOSTSLMeasurepoint(identifier: EnOSText(input: r.input, token: key), typeName: name,
                                             type: name.map(classify) ?? .unspecified))
                }
                n += 1
            }
        }
    }

    static func next(_ r: inout JSONReader) throws(EnOSTSLModelError) -> JSONToken {
        do { return try r.next() } catch { throw EnOSTSLModelError(.malformedJSON(error)) }
    }

    static func skipValue(_ r: inout JSONReader) throws(EnOSTSLModelError) {
        do { try r.skipValue() } catch { throw EnOSTSLModelError(.malformedJSON(error)) }
    }

    /// Skips the rest of an object or array whose opening token was just read.
    static func skipRest(_ r: inout JSONReader) throws(EnOSTSLModelError) {
        let target = r.depth - 1
        while r.depth > target { _ = try next(&r) }
    }

    /// The meaning of a type name (ASCII, case-insensitive).
    public static func classify(_ name: EnOSText) -> EnOSTSLType {
        let raw = name.raw
        func isName(_ s: StaticString) -> Bool {
            guard !name.hasEscapes, raw.count == s.utf8CodeUnitCount else { return false }
            let p = s.utf8Start
            for i in 0..<raw.count {
                var b = raw[i]
                if b >= 0x61 && b <= 0x7A { b -= 0x20 }
                if b != p[i] { return false }
            }
            return true
        }
        if isName("INT") || isName("INTEGER") || isName("LONG") || isName("ENUM") || isName("BOOL") || isName("BOOLEAN") {
            return .integer
        }
        if isName("FLOAT") || isName("DOUBLE") { return .number }
        if isName("STRING") || isName("TEXT") { return .text }
        if isName("ARRAY") || isName("STRUCT") || isName("MAP") || isName("OBJECT") || isName("DATE") || isName("DATETIME")
            || isName("TIMESTAMP") || isName("FILE") {
            return .structured
        }
        return .unspecified
    }
}
