import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// On a plain MQTT broker (no cloud answering `_reply`), `.brokerPuback` settles requests on PUBACK.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct PlainBrokerTests {
    @Test func pubackSettlesRequests() throws {
        let cloud = try CloudHarness()
        try cloud.command(["cmd": "drop_replies", "on": true])   // nobody answers _reply topics
        var configuration = CloudHarness.configuration()
        configuration.acknowledgement = .brokerPuback
        configuration.replyTimeoutMilliseconds = 2_000
        var gateway = cloud.makeGateway(configuration, port: cloud.brokerPort)   // straight to mosquitto
        var seen = SeenEvents()
        let up = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 3 }
        #expect(up)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        let result = GatewayPublishTests.publishBatch(&gateway, buffer, device: 0, tag: 5, seen: &seen)
        #expect(result != .notConnected)
        let settled = gateway.run(&seen) { $0.replies.contains { $0.tag == 5 } }
        #expect(settled)
        #expect(seen.replies.first { $0.tag == 5 }?.code == 200)
        #expect(seen.timedOut.isEmpty)
    }
}
