import EdgeCore

/// A measurepoint or parameter value to send: numbers, booleans (sent as 1/0: EnOS models
/// booleans as integers, spec §5.1) and strings (UTF-8 bytes owned by the caller, read in place).
public enum EnOSValue {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// Written with the shortest digits that read back as the same Float (23.4, not 23.399999).
    case float(Float)
    /// UTF-8 bytes, escaped as needed.
    case text(UnsafeRawBufferPointer)

    /// Writes the value (refuses NaN and infinities with `nonFiniteNumber`).
    public func write(to writer: inout JSONWriter) throws(JSONWriterError) {
        switch self {
        case .bool(let b): try writer.value(Int64(b ? 1 : 0))
        case .int(let v): try writer.value(v)
        case .uint(let v): try writer.value(v)
        case .double(let v): try writer.value(v)
        case .float(let v): try writer.value(v)
        case .text(let bytes): try writer.value(bytes: bytes)
        }
    }

    /// Writes the value, or `{"value":v,"quality":q}` when the point has a quality (0...9).
    public func write(to writer: inout JSONWriter, quality: Int?) throws(JSONWriterError) {
        guard let quality else {
            try write(to: &writer)
            return
        }
        try writer.beginObject()
        try writer.key("value")
        try write(to: &writer)
        try writer.key("quality")
        try writer.value(quality)
        try writer.endObject()
    }
}
