import Foundation
import TestSupport

/// Certificates made with openssl for the IEC 104 TLS tests, in a temporary directory (as the
/// MQTT TLS tests make theirs): a CA, a second (untrusted) CA, an outstation certificate signed
/// by the CA for DNS:localhost and IP:127.0.0.1, and a client certificate (the master's, for
/// mutual authentication) signed by the CA.
final class IEC104TestCertificates: CertificateDirectory {
    init() throws {
        try super.init(prefix: "iec104-tls")
        try write("server.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try write("client.ext", "extendedKeyUsage=clientAuth\n")
        for ca in ["ca", "otherca"] {
            try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(ca).key"), "-out", path("\(ca).crt"),
                        "-days", "30", "-subj", "/CN=edge-agent iec104 test \(ca)")
        }
        for (name, subject) in [("server", "/CN=outstation"), ("client", "/CN=gateway")] {
            try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject)
            try openssl("x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                        "-out", path("\(name).crt"), "-days", "30", "-extfile", path("\(name).ext"))
        }
    }
}
