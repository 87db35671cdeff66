import Agent
import EdgeCore
import FieldBus
import Foundation
import Testing
@testable import Configuration

/// Loading the agent's one config file: the documented example is valid; each kind of mistake is
/// reported with file, path, line:column and reason, all at once; secrets never show.
@Suite struct AgentConfigurationTests {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The first ```json block of CONFIG.md: the example the demo copies.
    static func documentedExample() throws -> String {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("Sources/Configuration/CONFIG.md"), encoding: .utf8)
        let start = try #require(text.range(of: "## Complete example"))
        let open = try #require(text.range(of: "```json\n", range: start.upperBound..<text.endIndex))
        let close = try #require(text.range(of: "```", range: open.upperBound..<text.endIndex))
        return String(text[open.upperBound..<close.lowerBound])
    }

    static let minimal = """
        {
          "buses": [{"name": "b", "type": "tcp", "host": "127.0.0.1", "port": 1502}],
          "templates": [{"name": "t", "points": [{"id": "v", "table": "holding", "address": 0, "type": "uint16"}]}],
          "devices": [{"name": "d1", "template": "t", "unit": 1, "bus": "b", "productKey": "pk", "deviceKey": "dk1"},
                      {"name": "d2", "template": "t", "unit": 2, "bus": "b"}],
          "cloud": {"host": "localhost", "port": 1883,
                    "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                    "subDevices": [{"device": "d1", "deviceSecret": "s1"}]},
          "ringLog": {"path": "/tmp/x.log", "size": "1MiB", "sectorSize": "64KiB"}
        }
        """

    static func errors(_ text: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
            return []
        } catch {
            return error.errors.map { $0.description }
        }
    }

    @Test func documentedExampleIsValid() throws {
        let text = try Self.documentedExample()
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "CONFIG.md", checkDevicePaths: false)
        #expect(config.fieldBus.devices.count == 3)
        #expect(config.cloud.subDevices.count == 2)
        #expect(config.cloud.subDevices[1].credentials == CloudCredentials(productKey: "invPK", deviceKey: "inverter-1", deviceSecret: "inverter-secret"))
        #expect(config.store.size == 4 << 20)
        #expect(config.store.sectorSize == 64 << 10)
        #expect(config.publishing.acknowledgement == .reply)
        #expect(config.console.input == .stdin)
        #expect(config.control.readBack)
    }

    @Test func defaultsFillOptionalSections() throws {
        let config = try AgentConfiguration.parse(Array(Self.minimal.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(config.publishing == PublishingSettings())
        #expect(config.status.intervalMilliseconds == 60_000)
        #expect(config.store.syncIntervalMilliseconds == 100)
        #expect(config.cloud.keepAliveSeconds == 60)
        #expect(config.cloud.tls == nil)
        #expect(config.cloud.subDevice(forDevice: 0)?.credentials.deviceSecret == "s1")
        #expect(config.cloud.subDevice(forDevice: 1) == nil)
    }

    @Test func missingSectionsAreNamed() {
        let e = Self.errors(#"{"buses": [], "templates": [], "devices": []}"#)
        #expect(e == ["agent.json (line 1, column 1): missing required key \"cloud\"",
                      "agent.json (line 1, column 1): missing required key \"ringLog\""])
    }

    @Test func everyMistakeIsReportedWithPathAndLocation() {
        var text = Self.minimal
        text = text.replacingOccurrences(of: #""port": 1883"#, with: #""port": 70000"#)
        text = text.replacingOccurrences(of: #""device": "d1""#, with: #""device": "d9""#)
        text = text.replacingOccurrences(of: #""size": "1MiB""#, with: #""size": "100KiB""#)
        text = text.replacingOccurrences(of: #""ringLog""#, with: #""publishing": {"ackMode": "maybe"}, "ringLog""#)
        let e = Self.errors(text)
        #expect(e.count == 5, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: cloud.subDevices (line 8, column 27): device \"d1\" has a cloud identity") }, "\(e)")
        #expect(e.contains("agent.json: cloud.port (line 6, column 42): integer 70000 is out of range 1...65535"), "\(e)")
        #expect(e.contains("agent.json: cloud.subDevices[0].device (line 8, column 39): unknown device \"d9\" (devices with a cloud identity: d1)"), "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: ringLog.size (line 9, column") && $0.hasSuffix("size 102400 is not a multiple of sectorSize 65536") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: publishing.ackMode (line 9,") && $0.hasSuffix("expected one of \"reply\", \"puback\", found \"maybe\"") }, "\(e)")
    }

    @Test func fieldBusErrorsComeThroughTheSameFile() {
        let text = Self.minimal.replacingOccurrences(of: #""template": "t", "unit": 2"#, with: #""template": "nope", "unit": 2"#)
        let e = Self.errors(text)
        #expect(e == ["agent.json: devices[1].template (line 5, column 42): unknown template \"nope\" (known: t)"], "\(e)")
    }

    @Test func subDeviceWithoutCloudIdentityIsRefused() {
        let text = Self.minimal.replacingOccurrences(of: #"{"device": "d1", "deviceSecret": "s1"}"#,
                                                     with: #"{"device": "d2", "deviceSecret": "s2"}"#)
        let e = Self.errors(text)
        #expect(e.count == 2 && e[0].contains("cloud.subDevices[0].device") && e[0].contains("has no cloud identity"), "\(e)")
        // d1, which has one, is left without its secret.
        #expect(e.count == 2 && e[1].contains("cloud.subDevices") && e[1].contains("device \"d1\" has a cloud identity"), "\(e)")
    }

    @Test func unknownKeysSuggestTheNearMiss() {
        let text = Self.minimal.replacingOccurrences(of: #""keepAlive""#, with: "x")
            .replacingOccurrences(of: #""host": "localhost""#, with: #""host": "localhost", "keepAliveSecond": 30"#)
        let e = Self.errors(text)
        #expect(e.count == 1 && e[0].contains("cloud.keepAliveSecond") && e[0].contains("did you mean \"keepAliveSeconds\"?"), "\(e)")
    }

    @Test func missingTLSFilesAreNamed() {
        let text = Self.minimal.replacingOccurrences(of: #""port": 1883,"#,
                                                     with: #""tls": {"caFile": "/nonexistent/ca.pem", "certFile": "/nonexistent/c.pem"},"#)
        let e = Self.errors(text)
        #expect(e.contains { $0.contains("cloud.tls") && $0.contains("give both certFile and keyFile") }, "\(e)")
        #expect(e.contains { $0.contains("cloud.tls.caFile") && $0.contains("\"/nonexistent/ca.pem\" does not exist") }, "\(e)")
    }

    @Test func maskedLinesNeverShowSecrets() throws {
        var text = try Self.documentedExample()
        text = text.replacingOccurrences(of: #""input": "stdin""#, with: #""input": "stdin", "password": "hunter2""#)
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        let all = config.maskedLines().joined(separator: "\n")
        for secret in ["gateway-secret", "meter-secret", "inverter-secret", "hunter2"] {
            #expect(!all.contains(secret))
        }
        #expect(all.contains("gwPK/gateway-1 secret ****"))
        #expect(all.contains("password ****"))
    }

    @Test func fileThatDoesNotExistIsNamed() {
        #expect(throws: ConfigErrors.self) { try AgentConfiguration.load(file: "/nonexistent/agent.json") }
        do throws(ConfigErrors) {
            _ = try AgentConfiguration.load(file: "/nonexistent/agent.json")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/agent.json: "))
        }
    }
}
