import Agent
import EdgeCore
import EnOS
import MQTT
import Testing
@testable import Configuration
@testable import CloudLink

/// The EnOS "Limitations" page against the configuration: keep-alive 60...300 s, at most 4
/// connects in 2 minutes (a 5-minute lock-out beyond), a payload below 512 KiB. Values a test
/// broker needs (a 5 s keep-alive, a short connect window) stay accepted, each with a warning.
@Suite struct EnOSLimitsConfigurationTests {
    static func config(_ cloudExtra: String) throws -> AgentConfiguration {
        let text = AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""host": "localhost", "port": 1883,"#, with: #""host": "localhost", "port": 1883, "# + cloudExtra)
        return try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
    }

    @Test func aLowReconnectMinimumDoesNotShrinkTheTwoMinuteConnectWindow() throws {
        // It used to be min(120 s, 4 x reconnectMinMs): 1.2 s for 300 ms, so a flapping line
        // could connect far more than 4 times in 2 minutes and get the gateway locked out.
        for minimum in [100, 300, 1_000, 30_000] {
            let c = try Self.config(#""reconnectMinMs": \#(minimum), "reconnectMaxMs": 60000,"#)
            let enos = EnOSUplink<TCPStream, SystemClock>.gatewayConfiguration(c, firmwareVersion: nil)
            #expect(enos.reconnect.windowMilliseconds == 120_000, "reconnectMinMs \(minimum)")
            #expect(enos.reconnect.maximumAttemptsPerWindow == 4)
        }
        #expect(try Self.config("").cloud.enosLimitWarnings.isEmpty)
    }

    @Test func aShorterConnectWindowIsForTestBrokersAndSaysSo() throws {
        let c = try Self.config(#""connectWindowMs": 1200,"#)
        let enos = EnOSUplink<TCPStream, SystemClock>.gatewayConfiguration(c, firmwareVersion: nil)
        #expect(enos.reconnect.windowMilliseconds == 1_200)
        #expect(c.cloud.enosLimitWarnings.contains { $0.contains("cloud.connectWindowMs 1200") && $0.contains("5 minutes") },
                "\(c.cloud.enosLimitWarnings)")
    }

    @Test func aKeepAliveBelowSixtySecondsIsAcceptedWithAWarning() throws {
        let low = try Self.config(#""keepAliveSeconds": 5,"#)
        #expect(low.cloud.keepAliveSeconds == 5)
        #expect(low.cloud.enosLimitWarnings == ["cloud.keepAliveSeconds 5 is below 60: EnOS requires 60...300 s (fine for a test broker, not for EnOS)"])
        #expect(try Self.config(#""keepAliveSeconds": 60,"#).cloud.enosLimitWarnings.isEmpty)
        #expect(try Self.config(#""keepAliveSeconds": 300,"#).cloud.enosLimitWarnings.isEmpty)
        let e = AgentConfigurationTests.errors(AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""port": 1883,"#, with: #""port": 1883, "keepAliveSeconds": 301,"#))
        #expect(e.count == 1 && e[0].contains("cloud.keepAliveSeconds"), "\(e)")
    }

    @Test func aPayloadOfExactly512KiBIsRefused() throws {
        let e = AgentConfigurationTests.errors(AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""ringLog":"#, with: #""publishing": {"maxPayloadBytes": 524288}, "ringLog":"#))
        #expect(e.count == 1 && e[0].contains("maxPayloadBytes 524288"), "\(e)")
        #expect(AgentConfigurationTests.errors(AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""ringLog":"#, with: #""publishing": {"maxPayloadBytes": 524287}, "ringLog":"#)).isEmpty)
    }
}
