import EdgeCore
import EnOS
import FieldBus
import Testing
import TestSupport
@testable import Configuration
@testable import CloudLink

/// A `thing.service.{id}` call checked by the event sink against the configured services: the
/// writes it makes (inputs and constants, read-back per write), the refusals that name the
/// parameter and carry no write, 1101 for a service the device does not offer, and no allocation
/// on the way (the tables and messages were made at load).
@Suite struct ServiceInvocationTests {
    static func sink() throws -> EnOSEventSink {
        let text = ServiceConfigurationTests.config(template: ServiceConfigurationTests.setLimits)
        let c = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        let sink = EnOSEventSink(fieldBus: c.fieldBus, subDevices: c.cloud.subDevices)
        sink.services = c.services
        return sink
    }

    /// Delivers the call to `sink` as the gateway would, inside the message's lifetime.
    static func call(_ sink: EnOSEventSink, _ service: String, _ params: String) -> ControlRequest? {
        let topic = Array("/sys/pk/dk1/thing/service/\(service)".utf8)
        let payload = Array(#"{"id":"7","version":"1.0","method":"thing.service.\#(service)","params":\#(params)}"#.utf8)
        deliver(sink, topic, payload)
        guard let request = sink.popCommand() else { return nil }
        _ = sink.takeHandle(request.id)
        return request
    }

    static let gateway = EnOSDeviceIdentity(productKey: "gpk", deviceKey: "gdk", deviceSecret: "gsecret")
    static let subs = [EnOSDeviceIdentity(productKey: "pk", deviceKey: "dk1", deviceSecret: "s1")]

    static func deliver(_ sink: EnOSEventSink, _ topic: [UInt8], _ payload: [UInt8]) {
        topic.withUnsafeBytes { t in
            payload.withUnsafeBytes { p in
                let route = EnOSTopicRouter.route(t, gateway: Self.gateway, subDevices: Self.subs)
                if let command = try? EnOSCommandDecoder.decode(topic: t, route: route, payload: p) {
                    sink.on(.command(command))
                }
            }
        }
    }

    @Test func aCallBecomesItsServicesWritesWithTheInputValues() throws {
        let r = try #require(Self.call(try Self.sink(), "setLimits", #"{"high":6.5,"low":5,"extra":"ignored"}"#))
        #expect(r.kind == .service && r.error == nil && r.detail == nil)
        #expect(r.service == 0)
        #expect(r.count == 3)
        #expect([r.points[0], r.points[1], r.points[2]] == [1, 2, 2])
        #expect([r.values[0], r.values[1], r.values[2]] == [.int(5), .double(6.5), .int(7)])
        #expect(r.verifyMask == 0b001)
    }

    @Test func aBadParameterIsRefusedByNameWithNoWrite() throws {
        let sink = try Self.sink()
        let missing = try #require(Self.call(sink, "setLimits", #"{"low":5}"#))
        #expect(missing.error == .missingParameter && missing.error?.code == 2013)
        #expect(missing.detail == #"missing input parameter "high""#)
        let mistyped = try #require(Self.call(sink, "setLimits", #"{"low":"5","high":1}"#))
        #expect(mistyped.error == .badValue)
        #expect(mistyped.detail == #"input parameter "low" must be an integer"#)
        let fraction = try #require(Self.call(sink, "setLimits", #"{"low":5.5,"high":1}"#))
        #expect(fraction.detail == #"input parameter "low" must be an integer"#)
        let range = try #require(Self.call(sink, "setLimits", #"{"low":101,"high":1}"#))   // lo: max 100
        #expect(range.error == .outOfRange)
        #expect(range.detail == #"input parameter "low" refused by point "lo""#)
        #expect(range.count == 0)
    }

    @Test func aServiceTheDeviceDoesNotOfferIsAnswered1101() throws {
        let r = try #require(Self.call(try Self.sink(), "reboot", #"{"lo":1}"#))
        #expect(r.error == .unknownService && r.error?.code == 1101)
        #expect(r.count == 0)
    }

    @Test func checkingACallAllocatesNothing() throws {
        let sink = try Self.sink()
        let topic = Array("/sys/pk/dk1/thing/service/setLimits".utf8)
        let good = Array(#"{"id":"7","version":"1.0","method":"thing.service.setLimits","params":{"low":5,"high":6}}"#.utf8)
        let bad = Array(#"{"id":"8","version":"1.0","method":"thing.service.setLimits","params":{"low":5}}"#.utf8)
        func round() {
            Self.deliver(sink, topic, good)
            Self.deliver(sink, topic, bad)
            while let r = sink.popCommand() { _ = sink.takeHandle(r.id) }
        }
        round()
        let counted = AllocationCounter.count { for _ in 0..<50 { round() } }
        #expect(counted.allocations == 0, "\(counted)")
    }
}
