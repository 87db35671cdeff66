import EdgeCore
import FieldBus
import IEC104
import CShim
import Testing
import TestSupport

/// An IEC 104 bus's statistics snapshot carries the link's own figures (for the console's
/// `buses`): against the c104 outstation, the interrogated values' I frames, values decoded and
/// one start with the link started; once the outstation is gone, one loss and the link not
/// started; once it is back, a second start.
@Suite(.serialized) struct IEC104BusStatisticsTests {
    typealias B = IEC104BusTests

    static func figures(_ s: borrowing BusScheduler<FieldConnection, SystemClock>) -> IEC104BusStatistics? {
        let events = B.Events()
        var sink = B.Sink(target: events)
        s.reportStatistics(sink: &sink)
        for case .protocolStatistics(.iec104(let figures)) in events.events { return figures }
        return nil
    }

    @Test func snapshotCarriesTheLinkFramesValuesStartsAndLosses() throws {
        var outstation = try OutstationProcess()
        defer { outstation.stop() }
        let port = outstation.port
        var config = try B.configuration(port: port)
        config.buses[0].probeBackoffMinimumMilliseconds = 100
        config.buses[0].probeBackoffMaximumMilliseconds = 200
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        let events = B.Events()
        var sink = B.Sink(target: events)
        let interrogated = B.run(&s, &sink, seconds: 10) { (0..<5).allSatisfy { B.last(events.events, point: $0) != nil } }
        #expect(interrogated, "\(events.events) \(outstation.log)")
        let upFigures = Self.figures(s)
        let up = try #require(upFigures, "no IEC 104 figures in the bus statistics")
        #expect(up.started)
        #expect(up.starts == 1 && up.losses == 0, "\(up)")
        // An ASDU carries one type: ActCon, one ASDU for each of the five types, ActTerm.
        #expect(up.link.informationFramesReceived >= 7, "\(up)")
        #expect(up.link.pointsDecoded >= 5, "\(up)")
        #expect(up.link.informationFramesSent >= 1, "the general interrogation: \(up)")
        #expect(up.link.asdusRejected == 0 && up.link.unknownTypes == 0 && up.droppedValues == 0, "\(up)")

        outstation.stop()
        let offline = B.run(&s, &sink, seconds: 40) {
            events.events.contains { if case .deviceOffline = $0 { return true } else { return false } }
        }
        #expect(offline, "\(events.events)")
        let downFigures = Self.figures(s)
        let down = try #require(downFigures)
        #expect(!down.started)
        #expect(down.losses == 1, "\(down)")

        events.events = []
        outstation = try OutstationProcess(port: port)
        let back = B.run(&s, &sink, seconds: 20) {
            events.events.contains { if case .deviceOnline = $0 { return true } else { return false } }
        }
        #expect(back, "\(events.events) \(outstation.log)")
        let againFigures = Self.figures(s)
        let again = try #require(againFigures)
        #expect(again.started && again.starts == 2, "\(again)")
        #expect(again.link.informationFramesReceived > up.link.informationFramesReceived, "\(again)")
    }
}
