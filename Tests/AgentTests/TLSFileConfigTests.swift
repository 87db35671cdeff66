import Agent
import Foundation
import TestSupport
import Testing

/// The TLS files of `cloud.tls` are parsed when the configuration is loaded: a file that is not
/// a certificate or a key, a wrong keyPassword, a key of another certificate, or an encrypted
/// PKCS#8 key that mbedTLS 2.28 cannot decrypt is refused then, naming the setting and the file
/// (not reported after start-up as a bare mbedTLS number).
@Suite(.enabled(if: CertificateDirectory.isAvailable))
struct TLSFileConfigTests {
    /// A self-signed certificate and its key, another key, the key encrypted as PKCS#8
    /// (openssl's default), and a file that is neither.
    final class Files: CertificateDirectory {
        init() throws {
            try super.init(prefix: "tls-config")
            try write("garbage.pem", "not a certificate\n")
            try openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", path("k.pem"))
            try openssl("req", "-x509", "-key", path("k.pem"), "-out", path("c.pem"), "-days", "2", "-subj", "/CN=t")
            try openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", path("other.pem"))
            try openssl("pkey", "-in", path("k.pem"), "-aes256", "-passout", "pass:right", "-out", path("k8.pem"))
        }
    }

    static func errors(_ tls: String) -> [String] {
        AgentConfigurationTests.errors(AgentConfigurationTests.minimal.replacingOccurrences(of: #""port": 1883,"#, with: #""tls": \#(tls),"#))
    }

    @Test func garbageCAFileIsRefusedAtLoadNamingTheFile() throws {
        let f = try Files()
        let e = Self.errors(#"{"caFile": "\#(f.path("garbage.pem"))"}"#)
        #expect(e.count == 1 && e[0].contains("cloud.tls.caFile") && e[0].contains("file \"\(f.path("garbage.pem"))\" is not a PEM or DER certificate"), "\(e)")
        #expect(!e.joined().contains("TLS failure -0x"), "\(e)")
    }

    @Test func garbageCertificateAndKeyFilesAreRefusedAtLoad() throws {
        let f = try Files()
        let e1 = Self.errors(#"{"caFile": "\#(f.path("c.pem"))", "certFile": "\#(f.path("garbage.pem"))", "keyFile": "\#(f.path("k.pem"))"}"#)
        #expect(e1.count == 1 && e1[0].contains("cloud.tls.certFile") && e1[0].contains(f.path("garbage.pem")), "\(e1)")
        let e2 = Self.errors(#"{"caFile": "\#(f.path("c.pem"))", "certFile": "\#(f.path("c.pem"))", "keyFile": "\#(f.path("garbage.pem"))"}"#)
        #expect(e2.count == 1 && e2[0].contains("cloud.tls.keyFile") && e2[0].contains("is not a PEM or DER private key"), "\(e2)")
        let e3 = Self.errors(#"{"caFile": "\#(f.path("c.pem"))", "certFile": "\#(f.path("c.pem"))", "keyFile": "\#(f.path("other.pem"))"}"#)
        #expect(e3.count == 1 && e3[0].contains("does not belong to the certificate"), "\(e3)")
        let ok = Self.errors(#"{"caFile": "\#(f.path("c.pem"))", "certFile": "\#(f.path("c.pem"))", "keyFile": "\#(f.path("k.pem"))"}"#)
        #expect(ok.isEmpty, "\(ok)")
    }

    @Test func encryptedPKCS8KeyIsRefusedWithTheReasonAndTheConversion() throws {
        let f = try Files()
        let tls = #"{"caFile": "\#(f.path("c.pem"))", "certFile": "\#(f.path("c.pem"))", "keyFile": "\#(f.path("k8.pem"))""#
        let missing = Self.errors(tls + "}")
        #expect(missing.count == 1 && missing[0].contains("is encrypted: give keyPassword"), "\(missing)")
        let wrong = Self.errors(tls + #", "keyPassword": "wrong"}"#)
        let right = Self.errors(tls + #", "keyPassword": "right"}"#)
        // mbedTLS 2.28 reads PBES2 only with PBKDF2-HMAC-SHA1; openssl's default (what
        // `openssl pkey -aes256` writes) is HMAC-SHA256: refused, with the reason and the way out.
        #expect(right.count == 1 && right[0].contains("cloud.tls.keyFile") && right[0].contains("openssl pkey -in"), "\(right)")
        #expect(wrong.count == 1, "\(wrong)")
    }
}
