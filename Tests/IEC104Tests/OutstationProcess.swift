import Foundation
import Testing

/// The c104 outstation (Tools/iec104_test_outstation.py, lib60870 inside) on a loopback port,
/// started for one test and stopped with it; its stdout lines are read as they come.
final class OutstationProcess {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var python: String { ProcessInfo.processInfo.environment["EDGE_PYTHON"] ?? "python3" }

    /// True when the interpreter can import c104 (Tools/install-host-deps.sh installs it).
    static let isAvailable: Bool = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", "import c104"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    let port: UInt16
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var text = ""
    private var consumed = 0

    enum OutstationError: Error { case notReady(String) }

    /// Starts the outstation on `port` (a random one by default: a restarted outstation takes its
    /// predecessor's); `tls`: (certificate, key, CA of the clients) to speak TLS only.
    init(port: UInt16 = UInt16.random(in: 20000...45000), tls: (certificate: String, key: String, ca: String)? = nil) throws {
        self.port = port
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [Self.python, Self.packageRoot.appendingPathComponent("Tools/iec104_test_outstation.py").path, "\(port)"]
            + (tls.map { ["--tls", $0.certificate, $0.key, $0.ca] } ?? [])
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let fd = output.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        guard waitForLine("READY", seconds: 10) != nil else {
            stop()
            throw OutstationError.notReady("c104 outstation did not start: \(text.suffix(800))")
        }
    }

    /// Reads what the outstation printed so far.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(output.fileHandleForReading.fileDescriptor, &buffer, buffer.count)
            guard n > 0 else { return }
            text += String(decoding: buffer[0..<n], as: UTF8.self)
        }
    }

    /// The first line not seen before that starts with `prefix`, waiting up to `seconds`.
    func waitForLine(_ prefix: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            drain()
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            for (i, line) in lines.enumerated() where i >= consumed && line.hasPrefix(prefix) {
                consumed = i + 1
                return String(line)
            }
            usleep(10_000)
        } while Date() < deadline && process.isRunning
        return nil
    }

    var log: String { drain(); return text }

    /// The outstation's stdin, for writing a line without allocating.
    var inputDescriptor: Int32 { input.fileHandleForWriting.fileDescriptor }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func stop() {
        if process.isRunning {
            // SIGKILL: Swift Testing's worker threads block SIGTERM, and children inherit that.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
