import EdgeCrypto
import OTA
import Testing

/// The EnOS HTTP broker's requests and replies as the Java SDK's `HttpConnection` has them
/// (authentication sign and body, the `file/download` request, the auth reply), the chunked
/// body of a small reply, and how an order's `fileUrl` is classified. Pure: no I/O.
@Suite struct EnOSBrokerCodecTests {
    static let broker = EnOSFileBroker(url: "http://127.0.0.1:8080", productKey: "654321", deviceKey: "test", deviceSecret: "abcdefg")!

    static func text(_ body: (UnsafeMutableRawBufferPointer) throws(FileBrokerError) -> Int) throws(FileBrokerError) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        let n = try body(buffer)
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self)
    }

    static func parse(_ reply: String) throws(FileBrokerError) -> String {
        var reply = reply
        let session = UnsafeMutableRawBufferPointer.allocate(byteCount: 128, alignment: 8)
        defer { session.deallocate() }
        let result: Result<Int, FileBrokerError> = reply.withUTF8 { b in
            do throws(FileBrokerError) { return .success(try EnOSBrokerCodec.parseAuthReply(UnsafeRawBufferPointer(b), session: session)) }
            catch { return .failure(error) }
        }
        let n = try result.get()
        return String(decoding: UnsafeRawBufferPointer(rebasing: session[0..<n]), as: UTF8.self)
    }

    @Test func authenticationIsSignedAndShapedAsTheSDKDoes() throws {
        var hasher = SHA256()
        let request = try Self.text { (out) throws(FileBrokerError) in try EnOSBrokerCodec.writeAuthRequest(Self.broker, hasher: &hasher, into: out) }
        let parts = request.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 2, "\(request)")
        let head = parts[0].components(separatedBy: "\r\n")
        #expect(head.first == "POST /auth/654321/test HTTP/1.1")
        #expect(head.contains("Host: 127.0.0.1:8080"))
        #expect(head.contains("Content-Type: application/json; charset=utf-8"))
        #expect(head.contains("Content-Length: \(parts[1].utf8.count)"))
        // SignUtil over {deviceKey, lifetime, productKey, signMethod} sorted, then the secret;
        // digest computed independently (Python hashlib) of
        // "deviceKeytestlifetime300000productKey654321signMethodsha256abcdefg".
        #expect(parts[1] == #"{"signMethod":"sha256","lifetime":300000,"sign":"16404832b8978a5e6c372fecb4160dbad69f408aad5f499ee557ad826177a048","clientInfo":{"sdkVersion":"edge-agent"},"acceptCommandTypes":[]}"#)
    }

    @Test func aBrokerPathPrefixAndTheDefaultPortAreKept() throws {
        let broker = try #require(EnOSFileBroker(url: "https://broker.example.com/iot/", productKey: "pk", deviceKey: "dk", deviceSecret: "s"))
        #expect(broker.basePath == "/iot" && broker.url.port == 443 && broker.url.isHTTPS)
        var hasher = SHA256()
        let auth = try Self.text { (out) throws(FileBrokerError) in try EnOSBrokerCodec.writeAuthRequest(broker, hasher: &hasher, into: out) }
        #expect(auth.hasPrefix("POST /iot/auth/pk/dk HTTP/1.1\r\nHost: broker.example.com\r\n"), "\(auth)")
        #expect(EnOSFileBroker(url: "https://b.example.com/?x=1", productKey: "", deviceKey: "", deviceSecret: "") == nil)
        #expect(EnOSFileBroker(url: "enos-connect://b", productKey: "", deviceKey: "", deviceSecret: "") == nil)
    }

    @Test func theDownloadCarriesTheSessionTheURIAndTheRange() throws {
        var session = Array("0f3a".utf8)
        let first = try session.withUnsafeBytes { (s) throws(FileBrokerError) in
            try Self.text { (out) throws(FileBrokerError) in
                try EnOSBrokerCodec.writeDownloadRequest(Self.broker, session: s, fileURI: "enos-connect://fw-2.0.img", from: 0, into: out)
            }
        }
        #expect(first == "GET /multipart/sys/654321/test/file/download?sessionId=0f3a&fileUri=enos-connect://fw-2.0.img&category=ota HTTP/1.1\r\n"
                + "Host: 127.0.0.1:8080\r\nUser-Agent: edge-agent\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
        session = Array("a+b".utf8)
        let resumed = try session.withUnsafeBytes { (s) throws(FileBrokerError) in
            try Self.text { (out) throws(FileBrokerError) in
                try EnOSBrokerCodec.writeDownloadRequest(Self.broker, session: s, fileURI: "/1b30/ota/a b&c=é", from: 400_000, into: out)
            }
        }
        #expect(resumed.hasPrefix("GET /multipart/sys/654321/test/file/download?sessionId=a%2Bb&fileUri=/1b30/ota/a%20b%26c%3D%C3%A9&category=ota HTTP/1.1\r\n"), "\(resumed)")
        #expect(resumed.contains("\r\nRange: bytes=400000-\r\n"))
    }

    @Test func aRequestTooLongForTheBufferIsRefused() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        #expect(throws: FileBrokerError.requestTooLong) {
            try EnOSBrokerCodec.writeDownloadRequest(Self.broker, session: UnsafeRawBufferPointer(start: nil, count: 0),
                                                     fileURI: "enos-connect://x", from: 0, into: buffer)
        }
    }

    @Test func theAuthReplyGivesTheSessionOrTheBrokersReason() throws {
        #expect(try Self.parse(#"{"code":200,"message":"","data":{"sessionId":"s-123","other":[1,{"a":2}]},"extra":{"x":null}}"#) == "s-123")
        #expect(try Self.parse(#"{"data":{"sessionId":"s\u002d9"},"code":200}"#) == "s-9")
        #expect(throws: FileBrokerError.refused(code: 401, message: "auth failed")) { try Self.parse(#"{"code":401,"message":"auth failed","data":null}"#) }
        #expect(throws: FileBrokerError.refused(code: 500, message: "")) { try Self.parse(#"{"code":500}"#) }
        #expect(throws: FileBrokerError.malformedReply("no data.sessionId string")) { try Self.parse(#"{"code":200,"data":{}}"#) }
        #expect(throws: FileBrokerError.malformedReply("no integer code")) { try Self.parse(#"{"data":{"sessionId":"s"}}"#) }
        #expect(throws: FileBrokerError.malformedReply("not JSON")) { try Self.parse(#"{"code":200,"data":{"sessionId":"s"}"#) }
        #expect(throws: FileBrokerError.malformedReply("not a JSON object")) { try Self.parse(#"[200]"#) }
        let long = String(repeating: "x", count: 129)
        #expect(throws: FileBrokerError.malformedReply("data.sessionId longer than 128 bytes")) {
            try Self.parse(#"{"code":200,"data":{"sessionId":""# + long + #""}}"#)
        }
    }

    static func dechunk(_ text: String) throws(DownloadError) -> String? {
        var bytes = Array(text.utf8)
        let result: Result<Int?, DownloadError> = bytes.withUnsafeMutableBytes { b in
            do throws(DownloadError) { return .success(try HTTPChunkedBody.decode(b)) } catch { return .failure(error) }
        }
        return try result.get().map { String(decoding: bytes[0..<$0], as: UTF8.self) }
    }

    @Test func aChunkedReplyIsDecodedOnlyOnceComplete() throws {
        #expect(try Self.dechunk("5\r\n{\"a\":\r\nA;ext=1\r\n1234567890\r\n0\r\n\r\n") == "{\"a\":1234567890")
        #expect(try Self.dechunk("5\r\n{\"a\":\r\n0\r\nTrailer: x\r\n\r\n") == "{\"a\":")
        #expect(try Self.dechunk("5\r\n{\"a\":\r\n0\r\n") == nil)
        #expect(try Self.dechunk("5\r\n{\"a") == nil)
        #expect(throws: DownloadError.malformedResponse("chunk size")) { try Self.dechunk("zz\r\n") }
        #expect(throws: DownloadError.malformedResponse("chunk without CRLF")) { try Self.dechunk("2\r\nabcd\r\n0\r\n\r\n") }
    }

    @Test func fileURLsAreWebURLsOrEnOSFiles() throws {
        #expect(try FirmwareLocation("https://h/fw.img") == .web(HTTPURL("https://h/fw.img")!))
        #expect(try FirmwareLocation("enos-connect://a/b.zip") == .enosFile("enos-connect://a/b.zip"))
        #expect(try FirmwareLocation("/1b30e0ea83002000/ota/kadak13") == .enosFile("/1b30e0ea83002000/ota/kadak13"))
        #expect(throws: DownloadError.broker(.unsupportedScheme)) { try FirmwareLocation("enos-lark://x") }
        #expect(throws: DownloadError.broker(.unsupportedScheme)) { try FirmwareLocation("ftp://h/x") }
        #expect(try FirmwareLocation("1b30/ota/k:v//w") == .enosFile("1b30/ota/k:v//w"))
        for bad in ["", "enos-connect://", "http://", "/a b", "http://h/\u{7F}"] {
            #expect(throws: DownloadError.badURL, "\(bad)") { try FirmwareLocation(bad) }
        }
        #expect(throws: DownloadError.broker(.notConfigured)) { try FirmwareLocation("enos-connect://x").usesTLS(broker: nil) }
        #expect(try FirmwareLocation("enos-connect://x").usesTLS(broker: Self.broker) == false)
        #expect(try FirmwareLocation("https://h/x").usesTLS(broker: nil) == true)
    }
}
