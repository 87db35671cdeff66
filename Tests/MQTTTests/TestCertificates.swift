import Foundation
import TestSupport

/// Certificates made with openssl for the TLS tests, in a temporary directory: a CA, a second
/// (untrusted) CA, a broker certificate for DNS:localhost (no IP address), the same broker key
/// in an expired certificate, the same key in certificates for IP:127.0.0.1 and IP:127.0.0.2 (no
/// DNS name), and client certificates with RSA-2048 and EC P-256 keys.
final class TestCertificates: CertificateDirectory {
    init() throws {
        try super.init(prefix: "mqtt-tls")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        try write("san.ext", "subjectAltName=DNS:localhost\n")
        try write("client.ext", "extendedKeyUsage=clientAuth\n")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("newcerts"), withIntermediateDirectories: true)
        try write("index.txt", "")
        try write("serial", "1000\n")
        try write("ca.cnf", """
        [ ca ]
        default_ca = test_ca
        [ test_ca ]
        database = \(path("index.txt"))
        new_certs_dir = \(path("newcerts"))
        serial = \(path("serial"))
        default_md = sha256
        policy = any
        unique_subject = no
        [ any ]
        commonName = supplied

        """)
        for ca in ["ca", "otherca"] {
            try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("\(ca).key"), "-out", path("\(ca).crt"),
                        "-days", "30", "-subj", "/CN=edge-agent test \(ca)")
        }
        try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost")
        try openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                    "-out", path("server.crt"), "-days", "30", "-extfile", path("san.ext"))
        try openssl("ca", "-batch", "-config", path("ca.cnf"), "-cert", path("ca.crt"), "-keyfile", path("ca.key"),
                    "-in", path("server.csr"), "-out", path("expired.crt"), "-notext",
                    "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-extfile", path("san.ext"))
        for (name, address) in [("server-ip.crt", "127.0.0.1"), ("server-otherip.crt", "127.0.0.2")] {
            try write("\(name).ext", "subjectAltName=IP:\(address)\n")
            try openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                        "-out", path(name), "-days", "30", "-extfile", path("\(name).ext"))
        }
        try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("client-rsa.key"), "-out", path("client-rsa.csr"), "-subj", "/CN=gateway-rsa")
        try openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", path("client-ec.key"))
        try openssl("req", "-new", "-key", path("client-ec.key"), "-out", path("client-ec.csr"), "-subj", "/CN=gateway-ec")
        for client in ["client-rsa", "client-ec"] {
            try openssl("x509", "-req", "-in", path("\(client).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                        "-out", path("\(client).crt"), "-days", "30", "-extfile", path("client.ext"))
        }
        // mosquitto drops root for its own user: let it read the (test-only) keys.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path(file))
        }
    }

    /// mosquitto listener lines for a TLS broker with this server certificate.
    func brokerConfiguration(certificate: String = "server.crt", requireClientCertificate: Bool = true) -> String {
        """
        cafile \(path("ca.crt"))
        certfile \(path(certificate))
        keyfile \(path("server.key"))
        require_certificate \(requireClientCertificate ? "true" : "false")
        tls_version tlsv1.2
        """
    }
}
