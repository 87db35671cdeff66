import Foundation

/// Tests/OTAFixtures/http-range-server.py running on an ephemeral loopback port.
final class HTTPRangeServer {
    let process = Process()
    let port: Int
    let dir: URL
    private let errors = Pipe()

    init(files: [String: [UInt8]], arguments: [String] = []) throws {
        dir = try TestFiles.scratchDirectory("http")
        for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
        let script = TestFiles.packageRoot.appendingPathComponent("Tests/OTAFixtures/http-range-server.py").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, "--dir", dir.path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("port "), let p = Int(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw TestFiles.ToolError(description: "http-range-server did not start: \(text)")
        }
        port = p
    }

    func url(_ name: String) -> String { "http://127.0.0.1:\(port)/\(name)" }

    /// The request log ("GET /path range" lines); stops the server.
    func stop() -> [String] {
        // SIGKILL: the test runner's threads block SIGTERM, and a spawned child inherits that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        TestFiles.remove(dir)
        return log.split(separator: "\n").map(String.init)
    }
}
