import EdgeCore
import EdgeCrypto

/// The EnOS HTTP broker's file download as the Java SDK's `HttpConnection` speaks it, as pure
/// functions over the caller's buffers (no I/O, no allocation):
///
/// 1. `POST {base}/auth/{pk}/{dk}` with the JSON body
///    `{"signMethod":"sha256","lifetime":L,"sign":S,"clientInfo":{…},"acceptCommandTypes":[]}`,
///    where S is the lower-case hex SHA-256 of `deviceKey{dk}lifetime{L}productKey{pk}signMethodsha256`
///    followed by the device secret (the SDK's `SignUtil` over the four keys in sorted order).
///    The reply `{"code":200,"message":…,"data":{"sessionId":…}}` carries the session.
/// 2. `GET {base}/multipart/sys/{pk}/{dk}/file/download?sessionId=…&fileUri=…&category=ota`, with
///    `Range: bytes=N-` to resume; the file comes back as 200 or 206 like any ranged download.
///
/// Query values are percent-encoded except for the characters the SDK's client leaves as they are
/// in a query (`:` and `/` included), so an `enos-connect://x.bin` URI goes on the wire as the SDK
/// sends it.
public enum EnOSBrokerCodec {
    /// The sign method the SDK's HTTP connection always uses.
    public static let signMethod: StaticString = "sha256"
    /// What the gateway says it is in the authentication's `clientInfo.sdkVersion`.
    public static let clientVersion: StaticString = "edge-agent"

    /// Writes the authentication request (head and body) into `out`; its length.
    public static func writeAuthRequest(_ broker: EnOSFileBroker, hasher: inout SHA256,
                                        into out: UnsafeMutableRawBufferPointer) throws(FileBrokerError) -> Int {
        // The body is written first, at the end of `out`, for its length; then the head in front.
        var sign: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        let lifetime = broker.lifetimeMilliseconds
        withUnsafeMutableBytes(of: &sign) { hex in
            writeSign(broker, lifetime: lifetime, hasher: &hasher, into: hex)
        }
        var bodyBytes = 0
        var fits = true
        withUnsafeBytes(of: &sign) { hex in
            guard out.count > 512 else { fits = false; return }
            let tail = UnsafeMutableRawBufferPointer(rebasing: out[(out.count - 256)...])
            var w = TextWriter(buffer: tail)
            w.write("{\"signMethod\":\"")
            w.write(signMethod)
            w.write("\",\"lifetime\":")
            w.write(lifetime)
            w.write(",\"sign\":\"")
            w.write(bytes: hex)
            w.write("\",\"clientInfo\":{\"sdkVersion\":\"")
            w.write(clientVersion)
            w.write("\"},\"acceptCommandTypes\":[]}")
            fits = !w.isTruncated
            bodyBytes = w.count
        }
        guard fits else { throw .requestTooLong }
        let headSpace = UnsafeMutableRawBufferPointer(rebasing: out[0..<(out.count - 256)])
        var w = TextWriter(buffer: headSpace)
        w.write("POST ")
        w.write(broker.basePath)
        w.write("/auth/")
        writeEncoded(broker.productKey, &w)
        w.write(byte: UInt8(ascii: "/"))
        writeEncoded(broker.deviceKey, &w)
        w.write(" HTTP/1.1\r\n")
        writeCommonHeaders(broker, &w)
        w.write("Content-Type: application/json; charset=utf-8\r\nContent-Length: ")
        w.write(bodyBytes)
        w.write("\r\nConnection: close\r\n\r\n")
        guard !w.isTruncated else { throw .requestTooLong }
        let headBytes = w.count
        (out.baseAddress! + headBytes).copyMemory(from: out.baseAddress! + (out.count - 256), byteCount: bodyBytes)
        return headBytes + bodyBytes
    }

    /// Writes the download request for `fileURI` with the session `session`, resuming at `offset`
    /// (no Range header at 0), into `out`; its length.
    public static func writeDownloadRequest(_ broker: EnOSFileBroker, session: UnsafeRawBufferPointer, fileURI: String,
                                            from offset: UInt64, into out: UnsafeMutableRawBufferPointer) throws(FileBrokerError) -> Int {
        var w = TextWriter(buffer: out)
        w.write("GET ")
        w.write(broker.basePath)
        w.write("/multipart/sys/")
        writeEncoded(broker.productKey, &w)
        w.write(byte: UInt8(ascii: "/"))
        writeEncoded(broker.deviceKey, &w)
        w.write("/file/download?sessionId=")
        for c in session { writeEncoded(c, &w) }
        w.write("&fileUri=")
        writeEncoded(fileURI, &w)
        w.write("&category=ota HTTP/1.1\r\n")
        writeCommonHeaders(broker, &w)
        w.write("Accept-Encoding: identity\r\n")
        if offset > 0 {
            w.write("Range: bytes=")
            w.write(offset)
            w.write("-\r\n")
        }
        w.write("Connection: close\r\n\r\n")
        guard !w.isTruncated else { throw .requestTooLong }
        return w.count
    }

    /// Reads the authentication reply body: the session id into `session` (its length). A code
    /// other than 200 is `refused` with the broker's message (allocates that message: error path).
    public static func parseAuthReply(_ body: UnsafeRawBufferPointer,
                                      session: UnsafeMutableRawBufferPointer) throws(FileBrokerError) -> Int {
        var reader = JSONReader(body, maxDepth: 8)
        var code: JSONToken? = nil
        var message: JSONToken? = nil
        var sessionId: JSONToken? = nil
        var isObject = false
        do throws(JSONError) {
            if try reader.next().kind == .beginObject { isObject = true }
            while isObject {
                let key = try reader.next()
                if key.kind == .endObject { break }
                if reader.equals(key, "code") {
                    code = try reader.next()
                    try skipRest(code!, &reader)
                } else if reader.equals(key, "message") {
                    message = try reader.next()
                    try skipRest(message!, &reader)
                } else if reader.equals(key, "data") {
                    let value = try reader.next()
                    guard value.kind == .beginObject else { try skipRest(value, &reader); continue }
                    while true {
                        let inner = try reader.next()
                        if inner.kind == .endObject { break }
                        if reader.equals(inner, "sessionId") {
                            sessionId = try reader.next()
                            try skipRest(sessionId!, &reader)
                        } else {
                            try reader.skipValue()
                        }
                    }
                } else {
                    try reader.skipValue()
                }
            }
            if isObject { isObject = try reader.next().kind == .endOfDocument }
        } catch {
            throw .malformedReply("not JSON")
        }
        guard isObject else { throw .malformedReply("not a JSON object") }
        guard let code, code.kind == .number, code.isInteger, let value = try? reader.int64(code) else {
            throw .malformedReply("no integer code")
        }
        guard value == 200 else {
            var text = ""
            if let message, message.kind == .string {
                var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                withUnsafeMutableBytes(of: &scratch) { s in
                    if let n = try? reader.string(message, into: s) {
                        text = String(decoding: UnsafeRawBufferPointer(rebasing: s[0..<n]), as: UTF8.self)
                    } else {
                        text = "(a message longer than 128 bytes)"
                    }
                }
            }
            throw .refused(code: Int(clamping: value), message: text)
        }
        guard let sessionId, sessionId.kind == .string else { throw .malformedReply("no data.sessionId string") }
        guard let n = try? reader.string(sessionId, into: session) else { throw .malformedReply("data.sessionId longer than 128 bytes") }
        guard n > 0 else { throw .malformedReply("empty data.sessionId") }
        return n
    }

    /// The SDK's sign of the authentication: lower-case hex SHA-256 of
    /// `deviceKey{dk}lifetime{L}productKey{pk}signMethodsha256{secret}` into `out[0..<64]`.
    public static func writeSign(_ broker: EnOSFileBroker, lifetime: UInt64, hasher: inout SHA256,
                                 into out: UnsafeMutableRawBufferPointer) {
        update(&hasher, "deviceKey")
        update(&hasher, broker.deviceKey)
        update(&hasher, "lifetime")
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { raw in
            var w = TextWriter(buffer: raw)
            w.write(lifetime)
            hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<w.count]))
        }
        update(&hasher, "productKey")
        update(&hasher, broker.productKey)
        update(&hasher, "signMethod")
        update(&hasher, signMethod)
        update(&hasher, broker.deviceSecret)
        let digest = hasher.finish()
        digest.withUnsafeBytes { d in
            var i = 0
            for b in d where i + 1 < out.count {
                out[i] = hexDigit(b >> 4)
                out[i + 1] = hexDigit(b & 0xF)
                i += 2
            }
        }
    }

    // MARK: Helpers

    /// `opened` was read already: for a container, skip to its end; a scalar is done.
    private static func skipRest(_ opened: JSONToken, _ reader: inout JSONReader) throws(JSONError) {
        guard opened.kind == .beginObject || opened.kind == .beginArray else { return }
        let depth = reader.depth
        while reader.depth >= depth { _ = try reader.next() }
    }

    private static func writeCommonHeaders(_ broker: EnOSFileBroker, _ w: inout TextWriter) {
        w.write("Host: ")
        w.write(broker.url.host)
        if broker.url.port != (broker.url.isHTTPS ? 443 : 80) {
            w.write(byte: UInt8(ascii: ":"))
            w.write(broker.url.port)
        }
        w.write("\r\nUser-Agent: edge-agent\r\n")
    }

    private static func writeEncoded(_ text: String, _ w: inout TextWriter) {
        for c in text.utf8 { writeEncoded(c, &w) }
    }

    /// Unreserved characters and those a query keeps as they are (`:` `/` `@` `!` `$` `'` `(` `)`
    /// `*` `,` `;`) go as they are; the rest (`&`, `=`, `+`, `?`, `#`, `%`, space, non-ASCII) as %XX.
    private static func writeEncoded(_ c: UInt8, _ w: inout TextWriter) {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"), UInt8(ascii: "/"),
             UInt8(ascii: "@"), UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: ","), UInt8(ascii: ";"):
            w.write(byte: c)
        default:
            w.write(byte: UInt8(ascii: "%"))
            w.write(byte: upperHex(c >> 4))
            w.write(byte: upperHex(c & 0xF))
        }
    }

    private static func update(_ hasher: inout SHA256, _ text: String) {
        var copy = text
        copy.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
    }

    private static func update(_ hasher: inout SHA256, _ text: StaticString) {
        hasher.update(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10 }
    private static func upperHex(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "A") + v - 10 }
}
