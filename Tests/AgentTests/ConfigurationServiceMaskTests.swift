import Foundation
import Testing
@testable import Agent
@testable import Configuration

/// `thing.service.getConfiguration` with `"file": true` (`AgentRunner.maskedFile`): a secret is
/// masked by the member it is in, decided on the decoded key, and its whole raw value is
/// replaced, whatever JSON escapes the key or the value is written with, at any depth.
@Suite struct ConfigurationServiceMaskTests {
    /// `text` written to a file, loaded as the running configuration, and shown masked.
    func masked(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mask-\(UUID().uuidString).json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var config = try AgentConfiguration.parse(Array(text.utf8), file: file.path, checkDevicePaths: false)
        config.file = file.path
        switch AgentRunner.maskedFile(config) {
        case .success(let shown): return shown
        case .failure(let error): Issue.record("\(error)"); return ""
        }
    }

    static let minimal = AgentConfigurationTests.minimal

    @Test func aSecretWithEscapesInItsValueIsMaskedWhole() throws {
        // "gsecret" written as g\u0073ecret, "s1" as \u00731.
        let text = Self.minimal.replacingOccurrences(of: #""deviceSecret": "gsecret""#, with: #""deviceSecret": "g\u0073ecret""#)
            .replacingOccurrences(of: #""deviceSecret": "s1""#, with: #""deviceSecret": "\u00731""#)
        #expect(text.contains(#"g\u0073ecret"#) && text.contains(#"\u00731"#))
        let shown = try masked(text)
        #expect(!shown.contains(#"g\u0073ecret"#) && !shown.contains(#"\u00731"#) && !shown.contains("gsecret"), "\(shown)")
        #expect(shown.contains(#""deviceSecret": "***""#), "\(shown)")
        #expect(shown.contains(#""deviceKey": "gdk""#), "the rest is shown: \(shown)")
    }

    @Test func aSecretUnderAKeyWithEscapesIsMasked() throws {
        // console.password as "pass\u0077ord", its value escaped too: only the decoded key finds it.
        let text = Self.minimal.replacingOccurrences(of: #""ringLog""#,
                                                     with: #""console": {"input": "stdin", "pass\u0077ord": "pw-\u0031\u00323"}, "ringLog""#)
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(config.console.password == "pw-123")
        let shown = try masked(text)
        #expect(!shown.contains(#"pw-\u0031\u00323"#) && !shown.contains("pw-123"), "\(shown)")
        #expect(shown.contains(#""pass\u0077ord": "***""#), "\(shown)")
    }

    @Test func secretsInNestedObjectsAndArraysAreMaskedAndNothingElse() throws {
        // Escapes in the sub-device's key and value, inside cloud.subDevices[0]; a non-secret
        // member whose value looks like a secret is left as it is.
        let text = Self.minimal.replacingOccurrences(of: #""subDevices": [{"device": "d1", "deviceSecret": "s1"}]"#,
                                                     with: #""subDevices": [{"device": "d1", "device\u0053ecret": "s\/1\"x"}]"#)
        try #require(text != Self.minimal)
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(config.cloud.subDevices.first?.credentials.deviceSecret == "s/1\"x")
        let shown = try masked(text)
        #expect(!shown.contains(#"s\/1\"x"#), "\(shown)")
        #expect(shown.contains(#""device\u0053ecret": "***""#), "\(shown)")
        #expect(shown.contains(#""device": "d1""#) && shown.contains(#""productKey": "gpk""#), "\(shown)")
        // Still one JSON document, secrets and all masked.
        let parsed = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
        let cloud = parsed?["cloud"] as? [String: Any]
        #expect((cloud?["gateway"] as? [String: Any])?["deviceSecret"] as? String == "***", "\(shown)")
        #expect(((cloud?["subDevices"] as? [[String: Any]])?.first)?["deviceSecret"] as? String == "***", "\(shown)")
    }
}
