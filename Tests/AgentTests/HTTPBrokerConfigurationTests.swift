import Agent
import EdgeCore
import OTA
import Testing
@testable import Configuration

/// `cloud.httpBroker`: the EnOS HTTP broker for `enos-connect://` and relative firmware URIs,
/// signed in as the gateway. Optional (no default: the SDKs derive none from the MQTT host);
/// a value that is not an http(s) URL is refused at load, naming the place.
@Suite struct HTTPBrokerConfigurationTests {
    static func text(_ cloudExtra: String) -> String {
        AgentConfigurationTests.minimal.replacingOccurrences(
            of: #""host": "localhost", "port": 1883,"#, with: #""host": "localhost", "port": 1883, "# + cloudExtra)
    }

    @Test func theBrokerIsTheGatewaysOwnSessionWhenSet() throws {
        let none = try AgentConfiguration.parse(Array(Self.text("").utf8), file: "agent.json", checkDevicePaths: false)
        #expect(none.cloud.fileBroker == nil)
        let c = try AgentConfiguration.parse(Array(Self.text(#""httpBroker": "https://iot-http.example.com/broker/","#).utf8),
                                             file: "agent.json", checkDevicePaths: false)
        let broker = try #require(c.cloud.fileBroker)
        #expect(broker.url.host == "iot-http.example.com" && broker.url.isHTTPS && broker.basePath == "/broker")
        #expect(broker.productKey == "gpk" && broker.deviceKey == "gdk" && broker.deviceSecret == "gsecret")
        #expect(broker.lifetimeMilliseconds == 300_000)
    }

    @Test func aBrokerThatIsNotAnHTTPURLIsRefusedWhereItIsWritten() {
        for bad in [#""httpBroker": "mqtt-cn5.envisioniot.com","#, #""httpBroker": "https://h/?a=1","#, #""httpBroker": 5,"#] {
            let errors = AgentConfigurationTests.errors(Self.text(bad))
            #expect(errors.count == 1 && errors.first?.contains("cloud.httpBroker") == true, "\(bad): \(errors)")
        }
    }
}
