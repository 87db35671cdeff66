import Foundation
import TestSupport

/// Certificates made with openssl for the IEC 104 TLS tests, in a temporary directory (as the
/// MQTT TLS tests make theirs): a CA, a second (untrusted) CA, an outstation certificate signed
/// by the CA for DNS:localhost and IP:127.0.0.1, and a client certificate (the master's, for
/// mutual authentication) signed by the CA.
final class IEC104TestCertificates: CertificateDirectory {
    init() throws {
        try super.init(prefix: "iec104-tls")
        for ca in ["ca", "otherca"] { try makeCA(ca, subject: "/CN=edge-agent iec104 test \(ca)", key: .rsa2048) }
        try makeCertificate("server", subject: "/CN=outstation", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
                            key: .rsa2048)
        try makeCertificate("client", subject: "/CN=gateway", extensions: "extendedKeyUsage=clientAuth\n", key: .rsa2048)
    }
}
