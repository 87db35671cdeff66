import Foundation
import Testing

/// The console of `edge-agent run` with an IEC 104 bus against the c104 outstation
/// (Tools/iec104_test_outstation.py): `buses` shows the link in the protocol's words (started,
/// starts, I frames received and sent, S frames, TESTFR, values decoded, ASDUs rejected, unknown
/// types, unconfigured and dropped values) and names the generic counters for what they are on a
/// push protocol; `devices` names the station by its common address; `read DEVICE POINT` answers
/// at once with the latest value the station sent; `read DEVICE holding N` says that a station
/// has no registers. Runs, never skips: without c104 it fails with the install step.
@Suite(.serialized) struct EndToEndIEC104ConsoleTests {
    typealias H = EndToEndHarness

    /// The first integer after `label` in `text` (nil when absent).
    static func figure(_ label: String, in text: String) -> Int? {
        guard let range = text.range(of: label + " ") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func consoleShowsTheLinkInIEC104WordsAndReadsTheLatestValue() throws {
        try #require(EndToEndIEC104Tests.outstationInstalled, "c104 is not importable by python3: run Tools/install-host-deps.sh")
        let h = try H()
        let tty = try EndToEndConsoleTests.Terminal()
        let port = try H.freePort()
        _ = try EndToEndIEC104Tests.launchOutstation(h, port: port)
        let text = """
        {
          "buses": [{"name": "rtu", "type": "tcp", "protocol": "iec104", "host": "127.0.0.1", "port": \(port),
                     "responseTimeoutMs": 100, "iec104": {"t3Ms": 5000}}],
          "templates": [{"name": "station", "protocol": "iec104", "intervalMs": 50, "points": [
             {"id": "p", "ioa": 11, "type": "float"},
             {"id": "alarm", "ioa": 12, "type": "single"},
             {"id": "breaker", "ioa": 13, "type": "double"},
             {"id": "q", "ioa": 14, "type": "scaled"},
             {"id": "t", "ioa": 15, "type": "float"}]}],
          "devices": [{"name": "s47", "template": "station", "bus": "rtu", "commonAddress": 47, "productKey": "subPK", "deviceKey": "station1"}],
          "cloud": {"host": "127.0.0.1", "port": \(h.relayPort), "keepAliveSeconds": 5, "reconnectMinMs": 300, "reconnectMaxMs": 1000,
                    "gateway": {"productKey": "gwPK", "deviceKey": "gw1", "deviceSecret": "gwsecret"},
                    "subDevices": [{"device": "s47", "deviceSecret": "s1"}]},
          "ringLog": {"path": "\(h.ringLog.path)", "size": "2MiB", "sectorSize": "16KiB", "syncIntervalMs": 100},
          "publishing": {"liveIntervalMs": 300},
          "console": {"input": "tty", "device": "\(tty.slavePath)"}
        }
        """
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        var log: String { (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? "" }
        try #require(tty.waitFor("edge> ", timeout: 30) != nil, "no prompt: \(log.suffix(2000))")
        // The interrogated values are in once the float with its time stamp reached the cloud.
        let interrogated = h.waitFor(30) { entries in entries.contains { $0.device == "station1" && $0.points["t"] != nil } }
        try #require(interrogated, "\(log.suffix(2000))")

        let buses = tty.run("buses")
        #expect(buses.contains("rtu: tcp, iec104"), "\(buses)")
        #expect(buses.contains("  link started, starts 1, losses 0"), "\(buses)")
        let iFrames = Self.figure("I frames received", in: buses) ?? 0
        // An ASDU carries one type: ActCon, one ASDU for each of the five types, ActTerm.
        #expect(iFrames >= 7, "\(buses)")
        #expect((Self.figure("values decoded", in: buses) ?? 0) >= 5, "the five interrogated values: \(buses)")
        #expect(Self.figure("I frames sent", in: buses).map { $0 >= 1 } == true, "the interrogation: \(buses)")
        for label in ["S frames sent", "TESTFR sent", "unconfigured values", "dropped values", "ASDUs rejected", "unknown types"] {
            #expect(Self.figure(label, in: buses) != nil, "\(label) missing: \(buses)")
        }
        #expect(buses.contains("ASDUs rejected 0") && buses.contains("unknown types 0") && buses.contains("dropped values 0"), "\(buses)")
        #expect(buses.contains("link turns ") && buses.contains("kept the link up") && buses.contains("T0/T1 timeouts 0"), "\(buses)")
        #expect(!buses.contains("crc errors"), "Modbus words on an IEC 104 bus: \(buses)")

        let devices = tty.run("devices")
        #expect(devices.contains("s47") && devices.contains("rtu station 47") && devices.contains("link turns "), "\(devices)")
        #expect(!devices.contains("crc"), "Modbus words on an IEC 104 station: \(devices)")

        // The station pushes its values: `read` answers at once with the latest one.
        let started = Date()
        let point = tty.run("read s47 p")
        #expect(point.contains("s47.p") && point.contains("12.5"), "\(point)")
        #expect(!point.contains("no new sample in time"), "\(point)")
        #expect(Date().timeIntervalSince(started) < 4, "read waited for a poll that an IEC 104 station never answers")
        let registers = tty.run("read s47 holding 0")
        #expect(registers.contains("an IEC 104 station has no registers"), "\(registers)")
    }
}
