import EdgeCore
import FieldBus
import Foundation
import Testing

/// Clock synchronisation on a schedule against the c104 outstation: a bus with
/// `"clockSyncIntervalMs"` sends C_CS_NA_1 at link start and then on the period, with the
/// gateway's wall time (the outstation's `on_clock_sync` sees a time within a second of now);
/// when the outstation refuses it (negative activation confirmation), the cause is said once, in
/// words, as the station's read failure, and the link stays up.
@Suite(.serialized, .enabled(if: OutstationProcess.isAvailable))
struct IEC104ClockSyncTests {
    typealias Events = IEC104BusTests.Events
    typealias Sink = IEC104BusTests.Sink

    static func configuration(port: UInt16, clockSync: String) throws -> FieldBusConfiguration {
        let text = """
        {"buses": [{"name": "rtu", "type": "tcp", "protocol": "iec104", "host": "127.0.0.1", "port": \(port), "responseTimeoutMs": 50,
                    "iec104": {\(clockSync)}}],
         "templates": [{"name": "station", "protocol": "iec104", "intervalMs": 20, "points": [{"id": "p", "ioa": 11, "type": "float"}]}],
         "devices": [{"name": "s47", "template": "station", "bus": "rtu", "commonAddress": 47}]}
        """
        return try FieldBusConfiguration.parse(Array(text.utf8), file: "iec104.json")
    }

    /// The seconds since 1970 of a "CLOCK <seconds>" line.
    static func seconds(_ line: String?) -> Double? { line.flatMap { Double($0.dropFirst("CLOCK ".count)) } }

    @Test func outstationReceivesTheGatewaysTimeAtStartAndOnSchedule() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port, clockSync: "\"clockSyncIntervalMs\": 1000")
        #expect(config.buses[0].iec104Link?.clockSyncPeriodMilliseconds == 1000)
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = Events()
        var sink = Sink(target: events)
        var lines: [(received: Double, now: Double)] = []
        _ = IEC104BusTests.run(&s, &sink, seconds: 10) {
            if let t = Self.seconds(outstation.waitForLine("CLOCK ", seconds: 0)) { lines.append((t, Date().timeIntervalSince1970)) }
            return lines.count >= 2
        }
        #expect(lines.count >= 2, "\(outstation.log)")
        for line in lines { #expect(abs(line.received - line.now) < 1, "\(lines)") }
        #expect(!events.events.contains { if case .readFailure = $0 { return true } else { return false } }, "\(events.events)")
    }

    @Test func noClockSynchronisationWithoutTheSetting() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        let config = try Self.configuration(port: outstation.port, clockSync: "")
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = Events()
        var sink = Sink(target: events)
        #expect(IEC104BusTests.run(&s, &sink, seconds: 10) { IEC104BusTests.last(events.events, point: 0) != nil })
        _ = IEC104BusTests.run(&s, &sink, seconds: 0.5) { false }
        #expect(outstation.waitForLine("CLOCK ", seconds: 0) == nil, "\(outstation.log)")
    }

    @Test func refusedSynchronisationIsSaidOnceAndTheLinkStaysUp() throws {
        let outstation = try OutstationProcess()
        defer { outstation.stop() }
        outstation.send("clockrefuse")
        #expect(outstation.waitForLine("REFUSING", seconds: 5) != nil)
        let config = try Self.configuration(port: outstation.port, clockSync: "\"clockSyncIntervalMs\": 1000")
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = Events()
        var sink = Sink(target: events)
        var refused = 0
        _ = IEC104BusTests.run(&s, &sink, seconds: 15) {
            if outstation.waitForLine("CLOCK ", seconds: 0) != nil { refused += 1 }
            return refused >= 3
        }
        _ = IEC104BusTests.run(&s, &sink, seconds: 0.3) { false }   // the third one's answer
        #expect(refused >= 3, "\(outstation.log)")
        let failures = events.events.compactMap { e -> String? in
            if case .readFailure(_, let d) = e { return d.description } else { return nil }
        }
        #expect(failures == ["iec104: the station refused the clock synchronisation (C_CS_NA_1): negative activation confirmation (COT 7)"],
                "\(failures)")
        #expect(!events.events.contains { if case .deviceOffline = $0 { return true } else { return false } })
    }
}
