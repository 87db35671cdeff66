import EdgeCore
import EnOS
import Foundation
import MQTT
import TLS
import Testing

/// The gateway over `TLSStream` (EnOS port 18883 style): the simulator's proxy terminates TLS
/// with a certificate made here by openssl and requires a client certificate; the gateway
/// verifies the server chain and host name, presents its certificate, and still signs CONNECT.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
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
final class TLSFiles {
    let directory: URL
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("enos-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: path("client.ext"), atomically: true, encoding: .utf8)
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.crt"),
                    "-days", "2", "-subj", "/CN=enos test ca")
        try openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost")
        try openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                    "-out", path("server.crt"), "-days", "2", "-extfile", path("san.ext"))
        try openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", path("client.key"))
        try openssl("req", "-new", "-key", path("client.key"), "-out", path("client.csr"), "-subj", "/CN=gwDK")
        try openssl("x509", "-req", "-in", path("client.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                    "-out", path("client.crt"), "-days", "2", "-extfile", path("client.ext"))
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func openssl(_ arguments: String...) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw POSIXError(.EINVAL) }
    }
}
