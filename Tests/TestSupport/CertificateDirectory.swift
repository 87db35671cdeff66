import Foundation

/// A temporary directory in which a test makes its certificates and keys with openssl: the MQTT,
/// EnOS gateway, IEC 104 and OTA TLS tests each make their own set (a subclass) with this one
/// runner; `makeCA` and `makeCertificate` make the usual CA and certificates signed by it.
/// A failing openssl command throws an error that names the command and quotes what openssl
/// said. The directory is removed when the object goes.
open class CertificateDirectory {
    /// The openssl the tests run.
    public static let opensslPath = "/usr/bin/openssl"
    /// True when openssl is installed (suites that need certificates are enabled on it).
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: opensslPath) }

    public let directory: URL

    /// Creates an empty directory `<prefix>-<UUID>` under the temporary directory.
    public init(prefix: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The path of `name` in the directory.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the directory.
    public func write(_ name: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Runs openssl with `arguments` (paths made with `path`) to its end; throws, naming the
    /// command and quoting openssl's error output, when it fails.
    public func openssl(_ arguments: String...) throws { try openssl(arguments) }

    /// The key a certificate made by `makeCA` or `makeCertificate` gets.
    public enum Key: Sendable {
        case rsa2048
        /// EC on NIST P-256 (prime256v1).
        case p256

        var newKeyArguments: [String] {
            switch self {
            case .rsa2048: ["-newkey", "rsa:2048"]
            case .p256: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
            }
        }
    }

    /// Makes a self-signed CA in the directory: `<name>.key` (unencrypted) and `<name>.crt`.
    public func makeCA(_ name: String = "ca", subject: String, key: Key, days: Int = 30) throws {
        try openssl(["req", "-x509"] + key.newKeyArguments + ["-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).crt"),
                                                             "-days", String(days), "-subj", subject])
    }

    /// Makes `<name>.key` (unencrypted) and `<name>.crt` for `subject`, signed by the CA
    /// `<ca>.crt`/`<ca>.key` of the directory, with the X.509 v3 `extensions` (lines such as
    /// `subjectAltName=DNS:localhost`, written to `<name>.ext`).
    public func makeCertificate(_ name: String, subject: String, extensions: String, signedBy ca: String = "ca", key: Key,
                                days: Int = 30) throws {
        try write("\(name).ext", extensions)
        try openssl(["req"] + key.newKeyArguments + ["-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).crt"), "-CAkey", path("\(ca).key"), "-CAcreateserial",
                     "-out", path("\(name).crt"), "-days", String(days), "-extfile", path("\(name).ext")])
    }

    /// `openssl(_:)` with the arguments in an array.
    public func openssl(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.opensslPath)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        p.standardError = errors
        try p.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw NSError(domain: "openssl", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "openssl " + arguments.joined(separator: " ") + ": "
                                     + String(decoding: message, as: UTF8.self)])
        }
    }
}
