import Foundation

/// Scratch directories and external tools for the OTA tests.
enum TestFiles {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A fresh empty directory, removed by the caller's `defer`.
    static func scratchDirectory(_ tag: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ota-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a program; returns exit status and combined output.
    @discardableResult
    static func run(_ program: String, _ args: [String], in dir: URL? = nil, environment: [String: String]? = nil,
                    input: Data? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        if let dir { p.currentDirectoryURL = dir }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        if let input { inPipe.fileHandleForWriting.write(input) }
        try? inPipe.fileHandleForWriting.close()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs a program and throws unless it exits 0.
    @discardableResult
    static func check(_ program: String, _ args: [String], in dir: URL? = nil) throws -> String {
        let (status, output) = try run(program, args, in: dir)
        guard status == 0 else { throw ToolError(description: "\(program) \(args) exited \(status): \(output)") }
        return output
    }

    static func zeros(_ count: Int, at url: URL) throws {
        try Data(count: count).write(to: url)
    }
}
