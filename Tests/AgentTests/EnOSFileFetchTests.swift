import Foundation
import EdgeCore
import OTA
import Testing

/// `HTTPDownload` of an EnOS file through the cloud simulator's EnOS HTTP broker (started by the
/// end-to-end harness; no agent): the authentication reply in chunked encoding, a session that
/// expires (401: authenticate again), a cut response resumed with Range, a relative file path;
/// and a refused authentication, which is final.
@Suite(.serialized) struct EnOSFileFetchTests {
    typealias H = EndToEndHarness

    static func broker(_ h: H, secret: String = "gwsecret", _ options: [String: Any]) throws -> (EnOSFileBroker, URL) {
        let www = h.directory.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www.appendingPathComponent("gwPK/ota"), withIntermediateDirectories: true)
        let reply = try h.cloud(["cmd": "http_broker", "dir": www.path].merging(options) { $1 })
        let port = try #require(reply["port"] as? Int, "\(reply)")
        let broker = try #require(EnOSFileBroker(url: "http://127.0.0.1:\(port)/", productKey: "gwPK", deviceKey: "gw1", deviceSecret: secret))
        return (broker, www)
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aRelativeFileComesThroughARenewedSessionAndAResumedResponse() throws {
        let h = try H()
        let (broker, www) = try Self.broker(h, ["chunkedAuth": true, "expireSessions": 1, "dropAfter": 100_000, "drops": 1])
        let file = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        try Data(file).write(to: www.appendingPathComponent("gwPK/ota/fw.bin"))
        var download = try HTTPDownload(broker: broker, fileURI: "/gwPK/ota/fw.bin", transport: TCPStream(), isTLS: false,
                                        expectedSize: UInt64(file.count), timeoutMilliseconds: 5_000, retryDelayMilliseconds: 0)
        var got: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = try buffer.withUnsafeMutableBytes { (b) throws(DownloadError) in try download.next(into: b) }
            if n == 0 { break }
            got += buffer[0..<n]
        }
        #expect(got == file)
        #expect(download.drops == 2, "one 401, one cut")
        let auths = h.records(kind: "http_auth")
        #expect(auths.count == 2 && auths.allSatisfy { $0["signOk"] as? Bool == true && $0["lifetime"] as? Int == 300_000 }, "\(auths)")
        let downloads = h.records(kind: "http_download")
        #expect(downloads.map { $0["status"] as? Int ?? 0 } == [401, 200, 206], "\(downloads)")
        #expect(downloads.last?["range"] as? String == "bytes=100000-", "\(downloads)")
        #expect(downloads.allSatisfy { $0["fileUri"] as? String == "/gwPK/ota/fw.bin" && $0["category"] as? String == "ota" }, "\(downloads)")
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aRefusedAuthenticationIsFinalAndSaysTheBrokersReason() throws {
        let h = try H()
        let (broker, www) = try Self.broker(h, secret: "wrong", [:])
        try Data([1, 2, 3]).write(to: www.appendingPathComponent("fw.bin"))
        var download = try HTTPDownload(broker: broker, fileURI: "enos-connect://fw.bin", transport: TCPStream(), isTLS: false,
                                        timeoutMilliseconds: 5_000, retryDelayMilliseconds: 0)
        var buffer = [UInt8](repeating: 0, count: 1024)
        #expect(throws: DownloadError.broker(.refused(code: 401, message: "auth failed: bad sign or unknown device"))) {
            _ = try buffer.withUnsafeMutableBytes { (b) throws(DownloadError) in try download.next(into: b) }
        }
        #expect(h.records(kind: "http_auth").count == 1)
        #expect(h.records(kind: "http_download").isEmpty)
    }
}
