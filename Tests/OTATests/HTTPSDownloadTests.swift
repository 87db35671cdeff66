import EdgeCore
import Foundation
import TLS
import OTA
import Testing

/// HTTPS downloads through mbedTLS (TLS.TLSStream) from the local Range server wrapped
/// in Python's ssl, with a test CA made here by openssl: resumed after a drop, refused (and not
/// retried) when the server's certificate is not from the configured CA.
@Suite(.serialized) struct HTTPSDownloadTests {
    final class Certificates {
        let dir: URL
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        init() throws {
            dir = try TestFiles.scratchDirectory("tls")
            try "subjectAltName=DNS:localhost\n".write(to: dir.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
            for ca in ["ca", "otherca"] {
                try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", path("\(ca).key"), "-out", path("\(ca).crt"), "-days", "30", "-subj", "/CN=ota test \(ca)"])
            }
            try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("server.key"),
                         "-out", path("server.csr"), "-subj", "/CN=localhost"])
            try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                         "-CAcreateserial", "-out", path("server.crt"), "-days", "30", "-extfile", path("san.ext")])
        }

        deinit { TestFiles.remove(dir) }

        func openssl(_ args: [String]) throws { try TestFiles.check("/usr/bin/openssl", args, in: dir) }
    }

    static func download(_ url: String, ca: String) throws -> HTTPDownload<TLSStream> {
        try HTTPDownload(url: HTTPURL(url)!, transport: TLSStream(TLSConfiguration(caFile: ca)), isTLS: true,
                         timeoutMilliseconds: 3000, retryDelayMilliseconds: 0)
    }

    @Test func downloadsOverTLSAndResumesAfterADrop() throws {
        let certs = try Certificates()
        let file = ImageFixtures.payload(150_000)
        let server = try HTTPRangeServer(files: ["fw.img": file], arguments: ["--cert", certs.path("server.crt"), "--key", certs.path("server.key"),
                                                                             "--drop-after", "60000", "--drops", "1"])
        var d = try Self.download("https://localhost:\(server.port)/fw.img", ca: certs.path("ca.crt"))
        let result = HTTPDownloadTests.fetch(&d)
        let drops = d.drops
        let log = server.stop()
        #expect(result.success == file, "\(String(describing: result.failure))")
        #expect(drops == 1)
        #expect(log.last == "GET /fw.img bytes=60000-")
    }

    @Test func aServerFromAnotherCAIsRefusedWithoutRetrying() throws {
        let certs = try Certificates()
        let server = try HTTPRangeServer(files: ["fw.img": ImageFixtures.payload(1000)],
                                         arguments: ["--cert", certs.path("server.crt"), "--key", certs.path("server.key")])
        var d = try Self.download("https://localhost:\(server.port)/fw.img", ca: certs.path("otherca.crt"))
        let result = HTTPDownloadTests.fetch(&d)
        let drops = d.drops
        _ = server.stop()
        guard case .transport(let e)? = result.failure else {
            Issue.record("expected a TLS failure, got \(result)")
            return
        }
        #expect(e.kind == .tls)
        #expect(e.detail != 0)   // certificate verification flags
        #expect(drops == 0)
    }
}
