/// A `Transfer-Encoding: chunked` body held whole in memory (a small reply such as the EnOS HTTP
/// broker's authentication answer; firmware bodies are never chunked). Pure; never allocates.
public enum HTTPChunkedBody {
    /// nil while `bytes` does not yet hold the last (zero-size) chunk and the blank line after
    /// the trailers; then the decoded length, with the decoded bytes moved to the front of `bytes`.
    /// Throws on a malformed chunk line.
    public static func decode(_ bytes: UnsafeMutableRawBufferPointer) throws(DownloadError) -> Int? {
        guard try scan(bytes, compact: false) != nil else { return nil }
        return try scan(bytes, compact: true)
    }

    private static func scan(_ bytes: UnsafeMutableRawBufferPointer, compact: Bool) throws(DownloadError) -> Int? {
        var i = 0
        var out = 0
        while true {
            // chunk-size [; extensions] CRLF
            var size = 0
            var digits = 0
            while i < bytes.count, let d = hexValue(bytes[i]) {
                guard digits < 8 else { throw .malformedResponse("chunk size") }
                size = size * 16 + d
                digits += 1
                i += 1
            }
            if i == bytes.count { return nil }
            guard digits > 0 else { throw .malformedResponse("chunk size") }
            guard let next = lineEnd(bytes, from: i) else { return nil }
            i = next
            if size == 0 {
                // Trailers, then an empty line.
                while true {
                    guard let end = lineEnd(bytes, from: i) else { return nil }
                    let empty = end == i + 2
                    i = end
                    if empty { return out }
                }
            }
            guard bytes.count - i >= size + 2 else { return nil }
            guard bytes[i + size] == 13, bytes[i + size + 1] == 10 else { throw .malformedResponse("chunk without CRLF") }
            if compact && out != i { (bytes.baseAddress! + out).copyMemory(from: bytes.baseAddress! + i, byteCount: size) }
            out += size
            i += size + 2
        }
    }

    /// Offset just past the next CRLF at or after `from`, nil when there is none yet.
    private static func lineEnd(_ bytes: UnsafeMutableRawBufferPointer, from: Int) -> Int? {
        var j = from
        while j + 1 < bytes.count {
            if bytes[j] == 13 && bytes[j + 1] == 10 { return j + 2 }
            j += 1
        }
        return nil
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 65...70: return Int(c - 55)
        case 97...102: return Int(c - 87)
        default: return nil
        }
    }
}
