/// The parts of an HTTP/1.x response head a ranged download needs, parsed from the bytes up to
/// and including the blank line. Pure; never allocates.
public struct HTTPResponseHead: Equatable, Sendable {
    public var status: Int
    public var contentLength: UInt64?
    /// `Content-Range: bytes first-last/total` (total nil for `*`).
    public var rangeFirst: UInt64?
    public var rangeLast: UInt64?
    public var rangeTotal: UInt64?
    public var chunked = false

    /// Offset just past the `\r\n\r\n` that ends the head, or nil when not yet complete.
    public static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// Parses a complete head (as found by `headLength`).
    public static func parse(_ head: UnsafeRawBufferPointer) throws(DownloadError) -> HTTPResponseHead {
        var result = HTTPResponseHead(status: 0)
        var lineStart = 0
        var first = true
        while lineStart < head.count {
            var end = lineStart
            while end + 1 < head.count && !(head[end] == 13 && head[end + 1] == 10) { end += 1 }
            guard end + 1 < head.count else { throw .malformedResponse("line without CRLF") }
            let line = UnsafeRawBufferPointer(rebasing: head[lineStart..<end])
            lineStart = end + 2
            if line.isEmpty { break }
            if first {
                first = false
                // HTTP/1.x SP 3DIGIT SP reason
                guard line.count >= 12, startsWith(line, "HTTP/1."), line[8] == 32,
                      let code = number(UnsafeRawBufferPointer(rebasing: line[9..<12])) else {
                    throw .malformedResponse("status line")
                }
                result.status = Int(code)
                continue
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .malformedResponse("header without colon") }
            let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
            var v = colon + 1
            while v < line.count && (line[v] == 32 || line[v] == 9) { v += 1 }
            var e = line.count
            while e > v && (line[e - 1] == 32 || line[e - 1] == 9) { e -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: line[v..<e])
            if equalsIgnoringCase(name, "content-length") {
                guard let n = number(value) else { throw .malformedResponse("Content-Length") }
                if let old = result.contentLength, old != n { throw .malformedResponse("conflicting Content-Length") }
                result.contentLength = n
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                if !equalsIgnoringCase(value, "identity") { result.chunked = true }
            } else if equalsIgnoringCase(name, "content-range") {
                try result.parseContentRange(value)
            }
        }
        guard !first else { throw .malformedResponse("empty head") }
        return result
    }

    private mutating func parseContentRange(_ value: UnsafeRawBufferPointer) throws(DownloadError) {
        guard value.count > 6, Self.startsWith(value, "bytes "),
              let dash = value.firstIndex(of: UInt8(ascii: "-")),
              let slash = value.firstIndex(of: UInt8(ascii: "/")), dash < slash,
              let first = Self.number(UnsafeRawBufferPointer(rebasing: value[6..<dash])),
              let last = Self.number(UnsafeRawBufferPointer(rebasing: value[(dash + 1)..<slash])), last >= first else {
            throw .malformedResponse("Content-Range")
        }
        rangeFirst = first
        rangeLast = last
        let total = UnsafeRawBufferPointer(rebasing: value[(slash + 1)...])
        if total.count == 1 && total[0] == UInt8(ascii: "*") { rangeTotal = nil }
        else {
            guard let t = Self.number(total), t > last else { throw .malformedResponse("Content-Range total") }
            rangeTotal = t
        }
    }

    static func number(_ b: UnsafeRawBufferPointer) -> UInt64? {
        guard b.count > 0 && b.count <= 19 else { return nil }
        var v: UInt64 = 0
        for c in b {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + UInt64(c - 48)
        }
        return v
    }

    static func startsWith(_ b: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        guard b.count >= prefix.utf8CodeUnitCount else { return false }
        for i in 0..<prefix.utf8CodeUnitCount where b[i] != prefix.utf8Start[i] { return false }
        return true
    }

    static func equalsIgnoringCase(_ b: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard b.count == lower.utf8CodeUnitCount else { return false }
        for i in 0..<b.count {
            var c = b[i]
            if c >= 65 && c <= 90 { c += 32 }
            if c != lower.utf8Start[i] { return false }
        }
        return true
    }
}
