import Foundation
import Testing
@testable import Configuration

/// The running configuration's revision, computed at load: the document's `version` and the
/// SHA-256 of the file's bytes (the same digest `sha256sum` prints), so that a file changed by
/// hand shows another hash.
@Suite struct ConfigurationRevisionTests {
    static func sha256sum(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }

    @Test func loadingComputesTheVersionAndTheFilesHash() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("revision-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let text = AgentConfigurationTests.minimal.replacingOccurrences(of: "{\n  \"buses\"", with: "{\n  \"version\": \"3.1\",\n  \"buses\"")
        try #require(text.contains("\"version\": \"3.1\""))
        try text.write(to: file, atomically: true, encoding: .utf8)
        let config = try AgentConfiguration.load(file: file.path, checkDevicePaths: false)
        #expect(config.revision.version == "3.1")
        #expect(config.revision.sha256 == (try Self.sha256sum(file.path)))
        #expect(config.maskedLines().contains("version: 3.1 (sha256 \(config.revision.sha256.prefix(16))…)"))

        // One byte more (a space): another hash, same version.
        try (text + " ").write(to: file, atomically: true, encoding: .utf8)
        let edited = try AgentConfiguration.load(file: file.path, checkDevicePaths: false)
        #expect(edited.revision.version == "3.1" && edited.revision.sha256 != config.revision.sha256)
    }

    @Test func aVersionThatIsNotAStringIsAnErrorWithItsPath() {
        let text = AgentConfigurationTests.minimal.replacingOccurrences(of: "{\n  \"buses\"", with: "{\n  \"version\": 3,\n  \"buses\"")
        #expect(AgentConfigurationTests.errors(text).contains { $0.hasPrefix("agent.json: version") }, "\(AgentConfigurationTests.errors(text))")
    }
}
