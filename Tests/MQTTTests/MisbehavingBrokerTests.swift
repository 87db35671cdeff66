import CShim
import EdgeCore
import Foundation
import MQTT
import Testing

/// A scripted TCP peer in place of the broker: silence, malformed packets, a PUBLISH before
/// CONNACK, an oversized packet. Each ends the connection with the reason, and the client keeps
/// running and reconnects.
@Suite struct MisbehavingBrokerTests {
    /// A loopback listener the test drives by hand.
    final class ScriptedPeer {
        let listener: Int32
        let port: UInt16
        var connection: Int32 = -1

        init() {
            listener = edge_tcp_listen_loopback(0)
            port = UInt16(edge_socket_local_port(listener))
        }

        deinit {
            if connection >= 0 { close(connection) }
            close(listener)
        }

        /// Accepts a pending connection if there is one (non-blocking).
        func acceptIfPending() -> Bool {
            var revents: Int16 = 0
            guard edge_poll_one(listener, Int16(POLLIN), 0, &revents) > 0 else { return false }
            if connection >= 0 { close(connection) }
            connection = accept(listener, nil, nil)
            return connection >= 0
        }

        func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { edge_socket_send(connection, $0.baseAddress, $0.count) }
        }
    }

    static func client(port: UInt16) -> TCPClient {
        let config = MQTTSessionConfiguration(
            connect: MQTTConnectOptions(clientId: "victim", keepAliveSeconds: 60), maximumPacketSize: 1024,
            outputBufferBytes: 2048, outgoingStoreBytes: 4096, outgoingStoreMessages: 8, inFlightWindow: 4,
            // Long enough that a scripted reply sent right after accept is never beaten by the
            // timeout on a loaded machine; the no-CONNACK test still sees it expire.
            connectTimeoutMilliseconds: 1_000,
            reconnect: MQTTReconnectPolicy(initialDelayMilliseconds: 1_000, jitterPercent: 0))
        return MQTTClient(host: "127.0.0.1", port: port, configuration: config, transport: TCPStream(),
                          clock: SystemClock(), random: SplitMix64(seed: 9))
    }

    /// Runs the client; `script` is called once per accepted connection. Returns the reasons
    /// connections were lost, until `losses` of them or the deadline.
    static func run(peer: ScriptedPeer, losses: Int, seconds: Double = 20, script: (ScriptedPeer) -> Void) -> [String] {
        var client = Self.client(port: peer.port)
        var lost: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while lost.count < losses && Date() < deadline {
            if peer.acceptIfPending() { script(peer) }
            client.step(timeoutMilliseconds: 10) { event in
                if case .connectionLost(let e) = event { lost.append(e.description) }
            }
        }
        return lost
    }

    @Test func brokerThatNeverSendsConnackIsLeftAndRetried() {
        let peer = ScriptedPeer()
        var accepted = 0
        let lost = Self.run(peer: peer, losses: 2) { _ in accepted += 1 }
        #expect(lost == ["no CONNACK within the connect timeout", "no CONNACK within the connect timeout"])
        #expect(accepted == 2)
    }

    @Test func malformedConnackIsAProtocolErrorNamingTheByte() {
        let peer = ScriptedPeer()
        let lost = Self.run(peer: peer, losses: 1) { $0.send([0x20, 0x02, 0x00, 0x09]) }
        #expect(lost == ["protocol error: MQTT CONNACK at byte 3: return code not defined by the standard"])
    }

    @Test func publishBeforeConnackIsRefused() {
        let peer = ScriptedPeer()
        let lost = Self.run(peer: peer, losses: 1) { $0.send([0x30, 0x03, 0x00, 0x01, 0x61]) }
        #expect(lost == ["protocol error: unexpected PUBLISH from the broker"])
    }

    @Test func oversizedPacketIsRefusedFromItsHeader() {
        let peer = ScriptedPeer()
        // CONNACK, then a PUBLISH announcing 2 MB (more than the 1024-byte maximum).
        let lost = Self.run(peer: peer, losses: 1) { $0.send([0x20, 0x02, 0x00, 0x00, 0x30, 0xFF, 0xFF, 0x7F]) }
        #expect(lost == ["protocol error: MQTT PUBLISH at byte 5: packet larger than the configured maximum"])
    }

    @Test func refusedCredentialsAreReportedAndRetriedLater() {
        let peer = ScriptedPeer()
        let lost = Self.run(peer: peer, losses: 2) { $0.send([0x20, 0x02, 0x00, 0x04]) }
        #expect(lost == ["broker refused the connection: CONNACK return code 4 (bad user name or password)",
                         "broker refused the connection: CONNACK return code 4 (bad user name or password)"])
    }
}
