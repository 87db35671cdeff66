import Foundation
import Testing

/// `edge-agent run` with a DL/T 645 bus: two meters of the emulator (Tools/dlt645_test_meter.py on
/// a socat pty) polled through the field-protocol seam, their values (in the DI table's units,
/// scaled by the template) posted to the cloud simulator as the sub-devices' measurepoints.
@Suite(.serialized) struct EndToEndDLT645Tests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func meterValuesReachTheCloud() throws {
        let h = try H()
        let master = h.directory.appendingPathComponent("dlt645-master").path
        let meterSide = h.directory.appendingPathComponent("dlt645-meter").path
        _ = try h.launch("/usr/bin/socat", ["pty,raw,echo=0,link=\(master)", "pty,raw,echo=0,link=\(meterSide)"])
        let deadline = Date().addingTimeInterval(5)
        while !(FileManager.default.fileExists(atPath: master) && FileManager.default.fileExists(atPath: meterSide)) && Date() < deadline {
            usleep(10_000)
        }
        let meter = try h.launch("/usr/bin/env", [H.python, H.packageRoot.appendingPathComponent("Tools/dlt645_test_meter.py").path,
                                                  meterSide, "--quiet", "--meter", "000012345678", "--meter", "000012345612"],
                                 stdout: true)
        _ = try h.readLine(meter, containing: "READY")
        let text = """
        {
          "buses": [{"name": "meters", "type": "serial", "protocol": "dlt645", "device": "\(master)", "baud": 2400, "parity": "E",
                     "responseTimeoutMs": 300}],
          "templates": [{"name": "meter", "protocol": "dlt645", "intervalMs": 200, "points": [
             {"id": "energy", "di": "0x00010000"},
             {"id": "ua", "di": "0x02010100"},
             {"id": "p", "di": "0x02030000", "scale": 1000}]}],
          "devices": [{"name": "m1", "template": "meter", "bus": "meters", "address": "000012345678", "productKey": "subPK", "deviceKey": "meter1"},
                      {"name": "m2", "template": "meter", "bus": "meters", "address": "000012345612", "productKey": "subPK", "deviceKey": "meter2"}],
          "cloud": {"host": "127.0.0.1", "port": \(h.relayPort), "keepAliveSeconds": 5, "reconnectMinMs": 300, "reconnectMaxMs": 1000,
                    "gateway": {"productKey": "gwPK", "deviceKey": "gw1", "deviceSecret": "gwsecret"},
                    "subDevices": [{"device": "m1", "deviceSecret": "s1"}, {"device": "m2", "deviceSecret": "s2"}]},
          "ringLog": {"path": "\(h.ringLog.path)", "size": "2MiB", "sectorSize": "16KiB", "syncIntervalMs": 100},
          "publishing": {"liveIntervalMs": 300}
        }
        """
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent()
        func value(_ entries: [H.Entry], _ device: String, _ point: String) -> Double? {
            entries.last { $0.device == device && $0.points[point] != nil }.flatMap { ($0.points[point] as? NSNumber)?.doubleValue }
        }
        let arrived = h.waitFor(30) { entries in
            value(entries, "meter1", "ua") != nil && value(entries, "meter2", "energy") != nil && value(entries, "meter1", "p") != nil
        }
        let entries = h.entries()
        let log = (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? ""
        #expect(arrived, "\(log.suffix(2000))")
        #expect(value(entries, "meter1", "ua") == 220.1)
        #expect(value(entries, "meter1", "energy") == 12345.67 + 78)
        #expect(value(entries, "meter2", "energy") == 12345.67 + 12)
        #expect(value(entries, "meter1", "p").map { abs($0 - 3210) < 1e-6 } == true)
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(log.suffix(2000))")
    }
}
