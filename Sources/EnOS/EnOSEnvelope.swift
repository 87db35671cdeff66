import EdgeCore

/// The top level of a cloud message (command `{"id","version","method","params"}` or reply
/// `{"id","code","message","data"}`): where each field is, found in one pass with `JSONReader`
/// (strict RFC 8259, no allocation). Unknown keys are skipped.
struct EnOSEnvelope {
    var id: JSONToken? = nil
    var method: JSONToken? = nil
    var code: JSONToken? = nil
    var message: JSONToken? = nil
    /// The raw range of `params` (commands) or `data` (replies), whitespace around included.
    var value: Range<Int>? = nil

    static func parse(_ payload: UnsafeRawBufferPointer, valueKey: StaticString) throws(EnOSMessageError) -> EnOSEnvelope {
        guard payload.count > 0 else { throw EnOSMessageError(.emptyPayload) }
        var e = EnOSEnvelope()
        var reader = JSONReader(payload)
        var typeError: EnOSMessageError? = nil
        parse: do throws(JSONError) {
            let first = try reader.next()
            guard first.kind == .beginObject else {
                if first.kind == .beginArray { try reader.skipOpen() }
                _ = try reader.next()
                typeError = EnOSMessageError(.wrongType(.document, expected: .object))
                break parse
            }
            while true {
                let k = try reader.next()
                if k.kind == .endObject { break }
                if reader.equals(k, "id") {
                    let v = try reader.next()
                    guard v.kind == .string else {
                        if v.kind == .beginObject || v.kind == .beginArray { try reader.skipOpen() }
                        if typeError == nil { typeError = EnOSMessageError(.wrongType(.id, expected: .string)) }
                        continue
                    }
                    e.id = v
                } else if reader.equals(k, "method") {
                    let v = try reader.next()
                    guard v.kind == .string else {
                        if v.kind == .beginObject || v.kind == .beginArray { try reader.skipOpen() }
                        if typeError == nil { typeError = EnOSMessageError(.wrongType(.method, expected: .string), idToken: e.id) }
                        continue
                    }
                    e.method = v
                } else if reader.equals(k, "code") {
                    let v = try reader.next()
                    guard v.kind == .number, v.isInteger else {
                        if v.kind == .beginObject || v.kind == .beginArray { try reader.skipOpen() }
                        if typeError == nil { typeError = EnOSMessageError(.wrongType(.code, expected: .integer), idToken: e.id) }
                        continue
                    }
                    e.code = v
                } else if reader.equals(k, "message") {
                    let v = try reader.next()
                    if v.kind == .string { e.message = v }
                    else if v.kind == .beginObject || v.kind == .beginArray { try reader.skipOpen() }
                } else if reader.equals(k, valueKey) {
                    let start = reader.offset
                    try reader.skipValue()
                    e.value = start..<reader.offset
                } else {
                    try reader.skipValue()
                }
            }
            _ = try reader.next()   // .endOfDocument, or throws on trailing bytes
        } catch {
            throw EnOSMessageError(.malformedJSON(error), idToken: e.id)
        }
        if var typeError {
            typeError.idToken = e.id
            throw typeError
        }
        return e
    }
}

extension JSONReader {
    /// After reading `{` or `[`: skips to its matching close.
    mutating func skipOpen() throws(JSONError) {
        let target = depth - 1
        while depth > target { _ = try next() }
    }

}
