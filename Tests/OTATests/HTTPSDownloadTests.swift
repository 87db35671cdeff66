import EdgeCore
import Foundation
import TLS
import OTA
import TestSupport
import Testing

/// HTTPS downloads through mbedTLS (TLS.TLSStream) from the local Range server wrapped
/// in Python's ssl, with a test CA made here by openssl: resumed after a drop, refused (and not
/// retried) when the server's certificate is not from the configured CA.
@Suite(.serialized) struct HTTPSDownloadTests {
    /// A CA and a second (untrusted) CA, and a server certificate for DNS:localhost signed by the
    /// first, all with P-256 keys.
    final class Certificates: CertificateDirectory {
        init() throws {
            try super.init(prefix: "ota-tls")
            for ca in ["ca", "otherca"] { try makeCA(ca, subject: "/CN=ota test \(ca)", key: .p256) }
            try makeCertificate("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost\n", key: .p256)
        }
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
