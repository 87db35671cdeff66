import Foundation

/// A temporary directory in which a TLS test makes its certificates with openssl: the MQTT,
/// EnOS gateway and IEC 104 TLS tests each make their own set (a subclass) with this one runner.
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
    public func openssl(_ arguments: String...) throws {
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
