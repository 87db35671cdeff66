import EdgeCore
import EnOS
import Foundation
import MQTT
import TLS
import TestSupport
import Testing

/// The gateway over `TLSStream` (EnOS port 18883 style): the simulator's proxy terminates TLS
/// with a certificate made here by openssl and requires a client certificate; the gateway
/// verifies the server chain and host name, presents its certificate, and still signs CONNECT.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable && CertificateDirectory.isAvailable))
struct GatewayTLSTests {
    @Test func mutualTLSConnectPublishAndReply() throws {
        let pki = try TLSFiles()
        let cloud = try CloudHarness(simulatorArguments: ["--tls-cert", pki.path("server.crt"), "--tls-key", pki.path("server.key"),
                                                          "--tls-client-ca", pki.path("ca.crt")])
        let tls = TLSConfiguration(caFile: pki.path("ca.crt"), clientCertificateFile: pki.path("client.crt"),
                                   clientKeyFile: pki.path("client.key"))
        let transport = try TLSStream(tls)
        var gateway = EnOSGateway(configuration: CloudHarness.configuration(), host: "localhost", port: cloud.listenPort,
                                  transport: transport, clock: SystemClock(), random: SplitMix64(seed: 3))
        var seen = SeenEvents()
        let up = gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count == 3 }
        #expect(up, "\(seen.disconnected.map { $0.description })")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var m = try gateway.makeMeasurepointMessage(.measurepointPostBatch, buffer: buffer)
        m.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1_700_000_000_000)
        m.addPoint("voltage", .double(231))
        #expect(m.endEntry() == .added)
        let result = gateway.publish(&m, tag: 5) { seen.take($0) }
        #expect(result != .notConnected)
        let replied = gateway.run(&seen) { $0.replies.contains { $0.tag == 5 } }
        #expect(replied)
        #expect(seen.replies.first { $0.tag == 5 }?.code == 200)
        let connect = try cloud.waitForRecord(["kind": "connect"])
        #expect(connect["tls"] as? Bool == true)
        #expect((connect["clientCertificate"] as? [String: Any])?["commonName"] as? String == "gwDK")
    }
}

/// A CA, a server certificate for DNS:localhost and a client certificate, made with openssl.
final class TLSFiles: CertificateDirectory {
    init() throws {
        try super.init(prefix: "enos-tls")
        try makeCA(subject: "/CN=enos test ca", key: .rsa2048, days: 2)
        try makeCertificate("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost\n", key: .rsa2048, days: 2)
        try makeCertificate("client", subject: "/CN=gwDK", extensions: "extendedKeyUsage=clientAuth\n", key: .p256, days: 2)
    }
}
