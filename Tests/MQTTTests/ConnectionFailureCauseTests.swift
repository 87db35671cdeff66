import CShim
import EdgeCore
import Foundation
import MQTT
import TLS
import Testing

/// Each way a connection to the broker ends or fails carries its own cause, worded for the log
/// (`MQTTClientError.causeDescription`): nothing listening, a name that does not resolve, a
/// CONNACK refusal with the meaning of its code, a broker that goes silent (keep-alive), a broker
/// that closes the connection, a protocol error naming the packet type.
@Suite(.serialized) struct ConnectionFailureCauseTests {
    static func client(host: String, port: UInt16, keepAliveSeconds: UInt16 = 60) -> TCPClient {
        let config = MQTTSessionConfiguration(
            connect: MQTTConnectOptions(clientId: "cause-\(port)", cleanSession: true, keepAliveSeconds: keepAliveSeconds),
            maximumPacketSize: 1024, outputBufferBytes: 2048, outgoingStoreBytes: 4096, outgoingStoreMessages: 8,
            inFlightWindow: 4, connectTimeoutMilliseconds: 5_000, pingTimeoutMilliseconds: 500,
            reconnect: MQTTReconnectPolicy(initialDelayMilliseconds: 60_000, jitterPercent: 0))
        return MQTTClient(host: host, port: port, configuration: config, transport: TCPStream(),
                          clock: SystemClock(), random: SplitMix64(seed: 5))
    }

    /// Steps until the first lost connection (its cause in words) or the deadline; `connected`
    /// runs once CONNACK arrived.
    static func firstLoss(_ client: inout TCPClient, seconds: Double = 15, connected: () -> Void = {}) -> String? {
        var lost: String? = nil
        let deadline = Date().addingTimeInterval(seconds)
        while lost == nil && Date() < deadline {
            var justConnected = false
            client.step(timeoutMilliseconds: 20) { event in
                switch event {
                case .session(.connected): justConnected = true
                case .connectionLost(let e): lost = e.causeDescription
                default: break
                }
            }
            if justConnected { connected() }
        }
        return lost
    }

    @Test func nothingListeningIsConnectionRefused() throws {
        let port = try MosquittoBroker.freePort()   // closed again: nothing listens there
        var client = Self.client(host: "127.0.0.1", port: port)
        #expect(Self.firstLoss(&client) == "connection refused (nothing listens on the port)")
    }

    @Test func unresolvableHostIsADNSFailure() {
        var client = Self.client(host: "no-such-broker.invalid", port: 1883)
        let lost = Self.firstLoss(&client) ?? "none"
        #expect(lost.hasPrefix("DNS failure: cannot resolve the host name: "), "\(lost)")
    }

    @Test func refusedCONNACKNamesTheReturnCodeAndItsMeaning() throws {
        guard MosquittoBroker.isInstalled else { return }
        let broker = try MosquittoBroker(extraConfiguration: "allow_anonymous false")
        var client = Self.client(host: "127.0.0.1", port: broker.port)
        #expect(Self.firstLoss(&client) == "broker refused the connection: CONNACK return code 5 (not authorized)")
    }

    @Test func brokerClosingTheConnectionIsNamed() throws {
        guard MosquittoBroker.isInstalled else { return }
        let broker = try MosquittoBroker()
        var client = Self.client(host: "127.0.0.1", port: broker.port)
        #expect(Self.firstLoss(&client) { broker.stop() } == "broker closed the connection")
    }

    @Test func silentBrokerIsAKeepAliveTimeout() {
        // A peer that accepts CONNECT and then never answers a PINGREQ.
        let peer = MisbehavingBrokerTests.ScriptedPeer()
        var client = Self.client(host: "127.0.0.1", port: peer.port, keepAliveSeconds: 1)
        var lost: String? = nil
        let deadline = Date().addingTimeInterval(15)
        while lost == nil && Date() < deadline {
            if peer.acceptIfPending() { peer.send([0x20, 0x02, 0x00, 0x00]) }
            client.step(timeoutMilliseconds: 20) { if case .connectionLost(let e) = $0 { lost = e.causeDescription } }
        }
        #expect(lost == "keep-alive timeout: the broker stopped answering (no PINGRESP)")
    }

    @Test func protocolErrorNamesThePacketType() {
        let peer = MisbehavingBrokerTests.ScriptedPeer()
        var client = Self.client(host: "127.0.0.1", port: peer.port)
        var lost: String? = nil
        let deadline = Date().addingTimeInterval(15)
        while lost == nil && Date() < deadline {
            // CONNACK, then a SUBACK with reserved flag bits set.
            if peer.acceptIfPending() { peer.send([0x20, 0x02, 0x00, 0x00, 0x92, 0x03, 0x00, 0x01, 0x00]) }
            client.step(timeoutMilliseconds: 20) { if case .connectionLost(let e) = $0 { lost = e.causeDescription } }
        }
        #expect(lost == "protocol error: MQTT SUBACK at byte 4: reserved flag bits not as the standard requires", "\(lost ?? "")")
    }

    @Test func sameCauseIgnoresTheByteOffset() {
        let a = MQTTClientError.malformedInput(MQTTProtocolError(.invalidReturnCode, at: 3, packetType: 2))
        let b = MQTTClientError.malformedInput(MQTTProtocolError(.invalidReturnCode, at: 9, packetType: 2))
        let c = MQTTClientError.malformedInput(MQTTProtocolError(.truncated, at: 3, packetType: 2))
        #expect(a.isSameCause(as: b) && !a.isSameCause(as: c))
        #expect(MQTTClientError.closed(.pingTimeout).isSameCause(as: .closed(.pingTimeout)))
        #expect(!MQTTClientError.closed(.pingTimeout).isSameCause(as: .transport(ByteStreamError(.closedByPeer))))
    }
}
