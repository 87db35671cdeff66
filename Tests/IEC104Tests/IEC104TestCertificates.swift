import Foundation

/// Certificates made with openssl for the IEC 104 TLS tests, in a temporary directory (as the
/// MQTT TLS tests make theirs): a CA, a second (untrusted) CA, an outstation certificate signed
/// by the CA for DNS:localhost and IP:127.0.0.1, and a client certificate (the master's, for
/// mutual authentication) signed by the CA.
final class IEC104TestCertificates {
    let directory: URL
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("iec104-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
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

    deinit { try? FileManager.default.removeItem(at: directory) }

    func openssl(_ arguments: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        p.standardError = errors
        try p.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw NSError(domain: "openssl", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: arguments.joined(separator: " ") + ": " + String(decoding: message, as: UTF8.self)])
        }
    }
}
