import EdgeCore
import FieldBus
import Foundation
import IEC104
import TLS
import Testing

/// IEC 104 over TLS (IEC 62351-3) as a bus: the bus's `"tls"` object makes the master connect
/// through the same `TLSStream` as the cloud link, against the c104 outstation speaking TLS only
/// (mutual authentication, certificates made by the test with openssl). An interrogation over
/// TLS delivers values; an outstation certificate from an untrusted CA, or one that does not name
/// the host, is refused with the reason in words; plain TCP to the TLS outstation fails with a
/// cause.
@Suite(.serialized, .enabled(if: OutstationProcess.isAvailable && IEC104TestCertificates.isAvailable))
struct IEC104TLSTests {
    typealias Events = IEC104BusTests.Events
    typealias Sink = IEC104BusTests.Sink

    /// A one-station bus on `port`; `tls`: the bus's `"tls"` object (JSON), nil for plain TCP.
    static func configuration(port: UInt16, tls: String?) throws -> FieldBusConfiguration {
        let text = """
        {"buses": [{"name": "rtu", "type": "tcp", "protocol": "iec104", "host": "127.0.0.1", "port": \(port), "responseTimeoutMs": 50,
                    "probeBackoffMinMs": 100, "probeBackoffMaxMs": 200, "offlineAfterFailures": 1\(tls.map { ", \"tls\": " + $0 } ?? "")}],
         "templates": [{"name": "station", "protocol": "iec104", "intervalMs": 20, "points": [
            {"id": "p", "ioa": 11, "type": "float"},
            {"id": "breaker", "ioa": 13, "type": "double"}]}],
         "devices": [{"name": "s47", "template": "station", "bus": "rtu", "commonAddress": 47}]}
        """
        return try FieldBusConfiguration.parse(Array(text.utf8), file: "iec104-tls.json")
    }

    static func tls(_ certs: IEC104TestCertificates, ca: String = "ca.crt", serverName: String? = nil) -> String {
        "{\"caFile\": \"\(certs.path(ca))\", \"certFile\": \"\(certs.path("client.crt"))\", \"keyFile\": \"\(certs.path("client.key"))\""
            + (serverName.map { ", \"serverName\": \"\($0)\"" } ?? "") + "}"
    }

    static func outstation(_ certs: IEC104TestCertificates) throws -> OutstationProcess {
        try OutstationProcess(tls: (certs.path("server.crt"), certs.path("server.key"), certs.path("ca.crt")))
    }

    /// Runs the bus until the station goes offline; returns the offline event's cause in words.
    static func offlineCause(_ config: FieldBusConfiguration, events: Events) throws -> String? {
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        var sink = Sink(target: events)
        func detail() -> FieldFailureDetail? {
            events.events.lazy.compactMap { e -> FieldFailureDetail? in
                if case .deviceOffline(_, _, _, let d) = e { return d } else { return nil } }.first
        }
        _ = IEC104BusTests.run(&s, &sink, seconds: 20) { detail() != nil }
        return detail()?.description
    }

    @Test func interrogationOverTLSDeliversValues() throws {
        let certs = try IEC104TestCertificates()
        let outstation = try Self.outstation(certs)
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port, tls: Self.tls(certs))
        #expect(config.buses[0].iec104TLS?.caFile == certs.path("ca.crt"))
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = Events()
        var sink = Sink(target: events)
        let interrogated = IEC104BusTests.run(&s, &sink, seconds: 15) {
            IEC104BusTests.last(events.events, point: 0) != nil && IEC104BusTests.last(events.events, point: 1) != nil
        }
        #expect(interrogated, "\(events.events) \(outstation.log)")
        #expect(IEC104BusTests.last(events.events, point: 0)?.value == .double(12.5))
        #expect(IEC104BusTests.last(events.events, point: 1)?.value == .uint(2))
        #expect(outstation.waitForLine("CONNECTED", seconds: 1) != nil)
    }

    @Test func outstationCertificateFromAnUntrustedCAIsRefusedWithTheReason() throws {
        let certs = try IEC104TestCertificates()
        let outstation = try Self.outstation(certs)
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port, tls: Self.tls(certs, ca: "otherca.crt"))
        let events = Events()
        let cause = try Self.offlineCause(config, events: events)
        #expect(cause?.contains("TLS handshake failed: outstation certificate rejected: unknown CA") == true, "\(events.events)")
        #expect(cause?.contains("not trusted") == true, "\(String(describing: cause))")
    }

    @Test func outstationCertificateNotNamingTheServerNameIsRefusedWithTheReason() throws {
        let certs = try IEC104TestCertificates()
        let outstation = try Self.outstation(certs)
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port, tls: Self.tls(certs, serverName: "rtu.example"))
        let events = Events()
        let cause = try Self.offlineCause(config, events: events)
        #expect(cause?.contains("TLS handshake failed: outstation certificate rejected: host name mismatch") == true, "\(events.events)")
    }

    @Test func plainTCPToATLSOutstationFailsWithACause() throws {
        let certs = try IEC104TestCertificates()
        let outstation = try Self.outstation(certs)
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port, tls: nil)
        let events = Events()
        let cause = try Self.offlineCause(config, events: events)
        #expect(cause == "iec104 link: the outstation closed the connection before confirming STARTDT (does it expect TLS? see the bus's \"tls\")",
                "\(events.events) \(outstation.log)")
        #expect(!events.events.contains { if case .deviceOnline = $0 { return true } else { return false } })
    }

    /// T0 bounds the TCP connection and the handshake together: a listener that accepts and
    /// never answers the ClientHello fails the link within T0, as a handshake timeout.
    @Test func handshakeThatNeverEndsFailsWithinT0() throws {
        let certs = try IEC104TestCertificates()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) } }
        var parameters = LinkParameters()
        parameters.t0Milliseconds = 300
        var connection = IEC104Connection(host: "127.0.0.1", port: UInt16(bigEndian: address.sin_port), parameters: parameters,
                                          tls: TLSConfiguration(caFile: certs.path("ca.crt"), clientCertificateFile: certs.path("client.crt"),
                                                                clientKeyFile: certs.path("client.key")))
        let receiver = Receiver()
        let started = Date()
        var failure: ModbusError? = nil
        do throws(ModbusError) { try connection.start(into: receiver) } catch { failure = error }
        #expect(failure == .timeout)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(connection.lastFailure == .tlsHandshakeTimeout)
        #expect(connection.lastFailure?.description == "iec104 link: TLS handshake not complete within T0")
    }

    final class Receiver: IEC104EventReceiver {
        var hasRoom: Bool { true }
        func handle(_ event: LinkEvent, now: WallTime) {}
    }
}
