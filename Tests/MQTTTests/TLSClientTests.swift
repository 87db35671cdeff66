import CMbedTLS
import EdgeCore
import Foundation
import MQTT
import TLS
import TestSupport
import Testing

typealias TLSClient = MQTTClient<TLSStream, SystemClock, SplitMix64>

/// TLS through mbedTLS against a real mosquitto with `require_certificate`, certificates made by
/// the test with openssl: mutual TLS with RSA-2048 and EC P-256 client keys works end to end; a
/// wrong CA, an expired broker certificate, a host name mismatch and a missing client
/// certificate are refused with the reason, in words, naming the certificate; a broker given by
/// IP address is verified against the certificate's IP address SANs.
@Suite(.serialized, .enabled(if: MosquittoBroker.isInstalled && CertificateDirectory.isAvailable))
struct TLSClientTests {
    static func client(port: UInt16, host: String, tls: TLSConfiguration) throws -> TLSClient {
        let config = MQTTSessionConfiguration(
            connect: MQTTConnectOptions(clientId: "tls-\(port)", cleanSession: true, keepAliveSeconds: 60),
            maximumPacketSize: 4096, outputBufferBytes: 8192, outgoingStoreBytes: 16 * 1024,
            outgoingStoreMessages: 32, inFlightWindow: 8)
        return MQTTClient(host: host, port: port, configuration: config, transport: try TLSStream(tls),
                          clock: SystemClock(), random: SplitMix64(seed: 3))
    }

    /// Connects; returns nil once CONNACK arrives, or the first transport error.
    static func connect(_ client: inout TLSClient, seconds: Double = 15) -> MQTTClientError? {
        var connected = false
        var failure: MQTTClientError? = nil
        let deadline = Date().addingTimeInterval(seconds)
        while !connected && failure == nil && Date() < deadline {
            client.step(timeoutMilliseconds: 20) { event in
                switch event {
                case .session(.connected): connected = true
                case .connectionLost(let e): failure = e
                default: break
                }
            }
        }
        if !connected && failure == nil { failure = .closed(.connackTimeout) }
        return connected ? nil : failure
    }

    static func echo(_ client: inout TLSClient) throws -> String? {
        _ = try client.session.subscribe([MQTTSubscription("tls/#")])
        var received: String? = nil
        var subscribed = false
        var deadline = Date().addingTimeInterval(15)
        while !subscribed && Date() < deadline {
            client.step(timeoutMilliseconds: 20) { if case .session(.subscribed) = $0 { subscribed = true } }
        }
        let payload = String(repeating: "t", count: 3000)   // more than one small record
        _ = try client.session.publish(topic: "tls/echo".utf8, payload: payload.utf8, qos: .atLeastOnce)
        deadline = Date().addingTimeInterval(15)
        while received == nil && Date() < deadline {
            client.step(timeoutMilliseconds: 20) { event in
                if case .session(.message(let m)) = event { received = String(decoding: m.payload, as: UTF8.self) }
            }
        }
        return received == payload ? "ok" : received
    }

    static func describe(_ error: MQTTClientError) -> String {
        tlsError(error)?.tlsDescription ?? error.description
    }

    static func tlsError(_ error: MQTTClientError?) -> ByteStreamError? {
        if case .transport(let e)? = error, e.kind == .tls { return e }
        return nil
    }

    @Test func mutualTLSWithRSAClientCertificateCarriesMessages() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration())
        var client = try Self.client(port: broker.port, host: "localhost", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        let failure = Self.connect(&client).map(Self.describe)
        #expect(failure == nil)
        #expect(try Self.echo(&client) == "ok")
    }

    @Test func mutualTLSWithECP256ClientCertificateAndSmallRecordsCarriesMessages() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration())
        var client = try Self.client(port: broker.port, host: "localhost", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client-ec.crt"), clientKeyFile: certs.path("client-ec.key"),
            maximumFragmentLength: 4096))
        let failure = Self.connect(&client).map(Self.describe)
        #expect(failure == nil)
        let recordPayload = client.transport.maximumOutgoingRecordPayload
        #expect(recordPayload == 4096)
        #expect(try Self.echo(&client) == "ok")
    }

    @Test func brokerSignedByAnotherCAIsRefused() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration())
        var client = try Self.client(port: broker.port, host: "localhost", tls: TLSConfiguration(
            caFile: certs.path("otherca.crt"), clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        let error = Self.tlsError(Self.connect(&client))
        #expect(error?.code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        #expect((error?.detail ?? 0) & UInt32(MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0, "\(error?.tlsDescription ?? "no error")")
        let text = error?.tlsDescription ?? ""
        // mosquitto sends its CA along: that certificate is the one not trusted, and named.
        #expect(text.contains("unknown CA") && text.contains("issued by CN=edge-agent test ca)"), "\(text)")
    }

    @Test func expiredBrokerCertificateIsRefused() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration(certificate: "expired.crt"))
        var client = try Self.client(port: broker.port, host: "localhost", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        let error = Self.tlsError(Self.connect(&client))
        #expect(error?.code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        #expect((error?.detail ?? 0) & UInt32(MBEDTLS_X509_BADCERT_EXPIRED) != 0, "\(error?.tlsDescription ?? "no error")")
        let text = error?.tlsDescription ?? ""
        #expect(text == "TLS: broker certificate rejected: certificate expired (certificate CN=localhost, issued by CN=edge-agent test ca)",
                "\(text)")
    }

    @Test func hostNameMismatchIsRefusedUnlessCheckingIsTurnedOff() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration())
        // The certificate names DNS:localhost only; connecting by address does not match.
        var client = try Self.client(port: broker.port, host: "127.0.0.1", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        let error = Self.tlsError(Self.connect(&client))
        #expect(error?.code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        #expect((error?.detail ?? 0) & UInt32(MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0, "\(error?.tlsDescription ?? "no error")")
        let text = error?.tlsDescription ?? ""
        #expect(text.contains("host name mismatch") && text.contains("certificate CN=localhost"), "\(text)")

        var unchecked = try Self.client(port: broker.port, host: "127.0.0.1", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), verifyHostName: false,
            clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        #expect(Self.connect(&unchecked).map(Self.describe) == nil)
    }

    @Test func brokerGivenByAddressIsVerifiedAgainstIPAddressSANs() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration(certificate: "server-ip.crt"))
        var client = try Self.client(port: broker.port, host: "127.0.0.1", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        #expect(Self.connect(&client).map(Self.describe) == nil)
        #expect(try Self.echo(&client) == "ok")
    }

    @Test func certificateForAnotherAddressIsAHostNameMismatch() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration(certificate: "server-otherip.crt"))
        var client = try Self.client(port: broker.port, host: "127.0.0.1", tls: TLSConfiguration(
            caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client-rsa.crt"), clientKeyFile: certs.path("client-rsa.key")))
        let error = Self.tlsError(Self.connect(&client))
        #expect(error?.code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        #expect(error?.detail == UInt32(MBEDTLS_X509_BADCERT_CN_MISMATCH), "\(error?.tlsDescription ?? "no error")")
        #expect(error?.tlsDescription.contains("host name mismatch") == true, "\(error?.tlsDescription ?? "")")
    }

    @Test func otherTLSErrorsAreMbedTLSTextNotNumbers() throws {
        // A broker that requires a client certificate ends the handshake with an alert.
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration())
        var client = try Self.client(port: broker.port, host: "localhost", tls: TLSConfiguration(caFile: certs.path("ca.crt")))
        let error = Self.connect(&client)
        let text = error?.causeDescription ?? "connected"
        if case .transport(let e)? = error, e.kind == .tls {
            #expect(text.hasPrefix("TLS: SSL - ") && text.hasSuffix("(-0x" + String(-e.code, radix: 16) + ")"), "\(text)")
        } else {
            #expect(text.hasPrefix("broker closed the connection"), "\(text)")
        }
        #expect(TLSErrorText.text(MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) == "SSL - A fatal alert message was received from our peer (-0x7780)")
    }

    @Test func missingClientCertificateIsRefusedByTheBroker() throws {
        let certs = try TestCertificates()
        let broker = try MosquittoBroker(extraConfiguration: certs.brokerConfiguration())
        var client = try Self.client(port: broker.port, host: "localhost", tls: TLSConfiguration(caFile: certs.path("ca.crt")))
        let error = Self.connect(&client)
        #expect(error != nil)
        if case .transport(let e)? = error {
            #expect(e.kind == .tls || e.kind == .closedByPeer || e.kind == .io, "\(e.description)")
        } else {
            Issue.record("expected a transport failure, got \(error?.description ?? "success")")
        }
    }

    @Test func unreadableCAFileIsAConfigurationError() {
        #expect(throws: ByteStreamError.self) { _ = try TLSStream(TLSConfiguration(caFile: "/nonexistent/ca.crt")) }
    }
}

