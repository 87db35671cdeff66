import CShim
import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// A SUBACK that refuses a subscription (return code 0x80) is reported with the topic filter it
/// refused: commands on that topic would never arrive. The peer is a scripted socket on
/// loopback, because mosquitto 2.0 grants every well-formed MQTT 3.1.1 subscription (its
/// acl_file is applied when messages are delivered, not in SUBACK).
@Suite struct GatewaySubscriptionTests {
    @Test func refusedSubscriptionIsReportedWithItsTopicFilter() throws {
        let listener = edge_tcp_listen_loopback(0)
        defer { close(listener) }
        let port = UInt16(edge_socket_local_port(listener))
        var gateway = EnOSGateway(configuration: CloudHarness.configuration(), host: "127.0.0.1", port: port,
                                  transport: TCPStream(), clock: SystemClock(), random: SplitMix64(seed: 4))
        var seen = SeenEvents()
        var connection: Int32 = -1
        defer { if connection >= 0 { close(connection) } }
        var received: [UInt8] = []
        var answered = false
        let deadline = Date().addingTimeInterval(15)
        while seen.refusedSubscriptions.isEmpty && Date() < deadline {
            var revents: Int16 = 0
            if connection < 0, edge_poll_one(listener, Int16(POLLIN), 0, &revents) > 0 {
                connection = accept(listener, nil, nil)
                let connack: [UInt8] = [0x20, 0x02, 0x00, 0x00]
                _ = connack.withUnsafeBytes { edge_socket_send(connection, $0.baseAddress, $0.count) }
            }
            if connection >= 0 {
                var chunk = [UInt8](repeating: 0, count: 8192)
                if edge_poll_one(connection, Int16(POLLIN), 0, &revents) > 0 {
                    let n = chunk.withUnsafeMutableBytes { edge_socket_receive(connection, $0.baseAddress, $0.count) }
                    if n > 0 { received += chunk[0..<n] }
                }
                // Once the first SUBSCRIBE (packet id 1, 8 filters) follows CONNECT: grant all but the third.
                if !answered, Self.secondPacketType(received) == 0x82 {
                    answered = true
                    let suback: [UInt8] = [0x90, 0x0A, 0x00, 0x01, 0x01, 0x01, 0x80, 0x01, 0x01, 0x01, 0x01, 0x01]
                    _ = suback.withUnsafeBytes { edge_socket_send(connection, $0.baseAddress, $0.count) }
                }
            }
            gateway.step(timeoutMilliseconds: 10) { seen.take($0) }
        }
        let g = CloudHarness.configuration().gateway
        #expect(seen.refusedSubscriptions == ["/sys/\(g.productKey)/\(g.deviceKey)/thing/measurepoint/resume_reply"], "\(seen.refusedSubscriptions)")
    }

    /// The first byte of the packet after the first one (CONNECT), if it is in.
    static func secondPacketType(_ bytes: [UInt8]) -> UInt8? {
        var i = 1, length = 0, shift = 0
        while i < bytes.count {
            length |= Int(bytes[i] & 0x7F) << shift
            shift += 7
            i += 1
            if bytes[i - 1] & 0x80 == 0 { break }
        }
        let next = i + length
        return next < bytes.count ? bytes[next] : nil
    }
}
