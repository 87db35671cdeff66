import Agent
import EdgeCore
import Testing
@testable import Configuration

/// What the uplink needs of the cloud identities is checked at load: every device with a cloud
/// identity has its secret (a gateway without a sub-device's secret used to trap on connect), and
/// no product or device key holds what an MQTT topic level cannot (the uplink went silent).
@Suite struct CloudIdentityConfigurationTests {
    static func errors(_ text: String) -> [String] { AgentConfigurationTests.errors(text) }

    @Test func deviceWithCloudIdentityButNoSecretIsRefused() {
        let text = AgentConfigurationTests.minimal.replacingOccurrences(of: #"[{"device": "d1", "deviceSecret": "s1"}]"#, with: "[]")
        let e = Self.errors(text)
        #expect(e == [#"agent.json: cloud.subDevices (line 8, column 27): device "d1" has a cloud identity (productKey and deviceKey in "devices") but no secret: add {"device": "d1", "deviceSecret": "..."} to cloud.subDevices"#], "\(e)")
    }

    @Test func missingSubDevicesSectionIsNamedAtTheCloudSection() {
        let text = AgentConfigurationTests.minimal.replacingOccurrences(of: #",\#n            "subDevices": [{"device": "d1", "deviceSecret": "s1"}]"#, with: "")
        let e = Self.errors(text)
        #expect(e.count == 1 && e[0].hasPrefix("agent.json: cloud (line 6, column 12): device \"d1\" has a cloud identity"), "\(e)")
    }

    @Test func devicesWithoutCloudIdentityNeedNoSecret() throws {
        // No sub-devices at all: a gateway that only posts its own status.
        let text = AgentConfigurationTests.minimal
            .replacingOccurrences(of: #", "productKey": "pk", "deviceKey": "dk1""#, with: "")
            .replacingOccurrences(of: #"[{"device": "d1", "deviceSecret": "s1"}]"#, with: "[]")
        let config = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(config.cloud.subDevices.isEmpty)
    }

    @Test func topicUnsafeKeysAreRefusedWithTheirPath() {
        let text = AgentConfigurationTests.minimal
            .replacingOccurrences(of: #""productKey": "pk", "deviceKey": "dk1""#, with: #""productKey": "p+k", "deviceKey": "dk/1""#)
            .replacingOccurrences(of: #"{"productKey": "gpk", "deviceKey": "gdk""#, with: #"{"productKey": "g#pk", "deviceKey": "g\u0001dk""#)
        let e = Self.errors(text)
        let rule = "; it is part of every MQTT topic of the device, which allows no \"/\", \"+\", \"#\" or control characters"
        #expect(e.count == 4, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: devices[0].productKey (line 4,") && $0.hasSuffix("productKey holds \"+\", an MQTT topic wildcard" + rule) }, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: devices[0].deviceKey (line 4,") && $0.hasSuffix("deviceKey holds \"/\", the MQTT topic level separator" + rule) }, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: cloud.gateway.productKey (line 7,") && $0.hasSuffix("productKey holds \"#\", an MQTT topic wildcard" + rule) }, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: cloud.gateway.deviceKey (line 7,") && $0.hasSuffix("deviceKey holds a control character (0x01)" + rule) }, "\(e)")
    }

    @Test func nulAndEmptyKeysAreRefused() {
        let text = AgentConfigurationTests.minimal
            .replacingOccurrences(of: #""deviceKey": "dk1""#, with: #""deviceKey": "dk\u00001""#)
            .replacingOccurrences(of: #""deviceKey": "gdk""#, with: #""deviceKey": """#)
        let e = Self.errors(text)
        #expect(e.contains { $0.hasPrefix("agent.json: devices[0].deviceKey (line 4,") && $0.contains("deviceKey holds a NUL character") }, "\(e)")
        #expect(e.contains { $0.hasPrefix("agent.json: cloud.gateway.deviceKey (line 7,") && $0.hasSuffix("expected a non-empty string") }, "\(e)")
    }
}
