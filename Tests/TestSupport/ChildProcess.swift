import Foundation

/// Runs programs for the tests that drive the built `edge-agent` (or a tool) as a user would:
/// one place for finding the binary and for running a program to completion with its output.
public enum ChildProcess {
    /// The package's root folder (this file is `Tests/TestSupport/ChildProcess.swift`).
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The `edge-agent` under test: EDGE_AGENT_BINARY (the Makefile sets it), else the one next
    /// to the test bundle, else the debug build's.
    public static var agentBinary: String {
        if let path = ProcessInfo.processInfo.environment["EDGE_AGENT_BINARY"] { return path }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let sibling = bundleDirectory.appendingPathComponent("edge-agent").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        return packageRoot.appendingPathComponent(".build/debug/edge-agent").path
    }

    /// Runs `program` with `arguments` to its end, in `environment` (nil: this process's); its
    /// exit status and its standard output and error together (in the order written).
    public static func run(_ program: String, _ arguments: [String],
                           environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        if let environment { p.environment = environment }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs the `edge-agent` under test with `arguments` (see `run`).
    public static func runAgent(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(agentBinary, arguments)
    }
}
