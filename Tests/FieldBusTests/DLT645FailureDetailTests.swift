import CShim
import EdgeCore
import FieldBus
import Foundation
import Testing

/// The DL/T 645 causes of failed reads as the scheduler passes them on: a meter's error reply
/// and a corrupting line are reported in the codec's words (meter, DI, error bits or sums) once
/// per planned read, however often the poll repeats, and the latest stands in the device's and
/// the bus's statistics for the console; the Modbus classes (exception, CRC) are only counts.
@Suite(.serialized) struct DLT645FailureDetailTests {
    @Test func eachCauseIsReportedOncePerReadInTheMetersWords() throws {
        let meter = try DLT645MeterProcess(meters: ["000012345678", "000000000002:error", "000000000001:checksum"])
        defer { meter.stop() }
        let text = DLT645MeterTests.configuration.replacingOccurrences(of: "PTY", with: meter.devicePath)
            .replacingOccurrences(of: "000012345612", with: "000000000002")
            .replacingOccurrences(of: "000000000009", with: "000000000001")
            .replacingOccurrences(of: "\"offlineAfterFailures\": 2", with: "\"offlineAfterFailures\": 100")
        let config = try FieldBusConfiguration.parse(Array(text.utf8), file: "meters.json")
        var s = try BusScheduler(bus: config.buses[0], busIndex: 0, templates: config.templates, devices: config.devices,
                                 transport: try FieldConnection(bus: config.buses[0]), clock: SystemClock())
        var sink = EventRecorder()
        // Five points per meter, three meters: 60 transactions poll every point four times.
        var done = 0
        while done < 60 {
            switch s.step(sink: &sink) {
            case .transacted: done += 1
            case .waitUntil(let t):
                let ns = t.nanoseconds(since: s.clock.monotonicNow())
                if ns > 0 { edge_sleep_ns(ns) }
            case .idle: Issue.record("idle"); return
            }
        }
        var reported: [Int: [FieldFailureDetail]] = [:]
        for case .readFailure(let device, let detail) in sink.events { reported[device, default: []].append(detail) }
        #expect(reported[0] == nil, "the healthy meter: \(String(describing: reported[0]))")
        let refusals = reported[1] ?? []
        let dis: [UInt32] = [0x0001_0000, 0x0201_0100, 0x0202_0100, 0x0203_0000, 0x0206_0000]
        let station = DLT645Address(text: "000000000002")!.station
        #expect(refusals == dis.map { .dlt645(.errorReply(0x01), station: station, di: $0) }, "\(refusals)")
        #expect(refusals.first?.description == "meter 000000000002, DI 0x00010000: meter error reply 0x01 (other error)")
        let corrupt = reported[2] ?? []
        #expect(corrupt.count == 5, "one per DI although every frame's sums differ: \(corrupt)")
        #expect(corrupt.allSatisfy { if case .dlt645(.badChecksum, _, _) = $0 { true } else { false } }, "\(corrupt)")
        #expect(corrupt.first?.description.hasPrefix("meter 000000000001, DI 0x00010000: checksum error (computed 0x") == true)
        // The latest cause stands in the statistics the console shows.
        if case .dlt645(.errorReply(0x01), let st, _)? = s.devices[1].statistics.lastFailure {
            #expect(st == station)
        } else {
            Issue.record("device statistics: \(String(describing: s.devices[1].statistics.lastFailure))")
        }
        #expect(s.devices[0].statistics.lastFailure == nil)
        #expect(s.statistics.transactions.lastFailure != nil)
        #expect(s.devices[1].statistics.exceptions >= 10 && s.devices[2].statistics.crcErrors >= 10)
    }
}
