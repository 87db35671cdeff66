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

    /// Starts the emulator with `meters` on a socat pty and the agent polling `devices` (name,
    /// address; two DIs each every 100 ms) with its console on `tty`.
    static func startMeters(_ h: H, meters: [String], devices: [(String, String)], tty: EndToEndConsoleTests.Terminal) throws {
        let master = h.directory.appendingPathComponent("dlt645-master").path
        let meterSide = h.directory.appendingPathComponent("dlt645-meter").path
        _ = try h.launch("/usr/bin/socat", ["pty,raw,echo=0,link=\(master)", "pty,raw,echo=0,link=\(meterSide)"])
        let deadline = Date().addingTimeInterval(5)
        while !(FileManager.default.fileExists(atPath: master) && FileManager.default.fileExists(atPath: meterSide)) && Date() < deadline {
            usleep(10_000)
        }
        let meter = try h.launch("/usr/bin/env", [H.python, H.packageRoot.appendingPathComponent("Tools/dlt645_test_meter.py").path,
                                                  meterSide, "--quiet"] + meters.flatMap { ["--meter", $0] },
                                 stdout: true)
        _ = try h.readLine(meter, containing: "READY")
        let deviceList = devices.enumerated().map { i, d in
            "{\"name\": \"\(d.0)\", \"template\": \"meter\", \"bus\": \"meters\", \"address\": \"\(d.1)\", \"productKey\": \"subPK\", \"deviceKey\": \"meter\(i + 1)\"}"
        }.joined(separator: ", ")
        let secrets = devices.enumerated().map { i, d in "{\"device\": \"\(d.0)\", \"deviceSecret\": \"s\(i + 1)\"}" }.joined(separator: ", ")
        let text = """
        {
          "buses": [{"name": "meters", "type": "serial", "protocol": "dlt645", "device": "\(master)", "baud": 2400, "parity": "E",
                     "responseTimeoutMs": 300, "retries": 0, "offlineAfterFailures": 100}],
          "templates": [{"name": "meter", "protocol": "dlt645", "intervalMs": 100, "points": [
             {"id": "energy", "di": "0x00010000"},
             {"id": "ua", "di": "0x02010100"}]}],
          "devices": [\(deviceList)],
          "cloud": {"host": "127.0.0.1", "port": \(h.relayPort), "keepAliveSeconds": 5, "reconnectMinMs": 300, "reconnectMaxMs": 1000,
                    "gateway": {"productKey": "gwPK", "deviceKey": "gw1", "deviceSecret": "gwsecret"},
                    "subDevices": [\(secrets)]},
          "ringLog": {"path": "\(h.ringLog.path)", "size": "2MiB", "sectorSize": "16KiB", "syncIntervalMs": 100},
          "publishing": {"liveIntervalMs": 300},
          "console": {"input": "tty", "device": "\(tty.slavePath)"}
        }
        """
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent()
    }

    /// A meter that answers every read with an error reply and one whose replies fail their
    /// checksum: the agent's log names each cause in DL/T 645's words once per point (not once per
    /// poll), and the console's devices and buses lines show the meter, the counts in DL/T 645's
    /// terms and the last cause.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func meterErrorsAreNamedOnceInTheLogAndOnTheConsole() throws {
        let h = try H()
        let tty = try EndToEndConsoleTests.Terminal()
        try Self.startMeters(h, meters: ["000012345678", "000000000002:error", "000000000001:checksum"],
                             devices: [("m1", "000012345678"), ("m2", "000000000002"), ("m3", "000000000001")], tty: tty)
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("edge> ") != nil, "no prompt")
        let refusal = "device m2: meter 000000000002, DI 0x02010100: meter error reply 0x01 (other error)"
        let corrupt = "device m3: meter 000000000001, DI 0x00010000: checksum error (computed 0x"
        #expect(h.waitForLog(20) { $0.contains(refusal) && $0.contains(corrupt) }, "\(h.agentLogText().suffix(2000))")
        // Many polls later (100 ms each), each cause is still said once.
        let goodBefore = h.entries().filter { $0.device == "meter1" }.count
        #expect(h.waitFor(20) { entries in entries.filter { $0.device == "meter1" }.count >= goodBefore + 5 })
        let log = h.agentLogText()
        #expect(h.logCount(refusal) == 1, "\(log.suffix(3000))")
        #expect(h.logCount(corrupt) == 1, "\(log.suffix(3000))")
        #expect(!log.contains("exception 1"), "a DL/T 645 error reply named as a Modbus exception: \(log.suffix(2000))")

        var devices = ""
        var buses = ""
        let shown = Date().addingTimeInterval(15)
        repeat {
            devices = tty.run("devices")
            buses = tty.run("buses")
            if devices.contains("last error") && buses.contains("polls") { break }
            usleep(300_000)
        } while Date() < shown
        #expect(devices.contains("meters meter 000000000002"), "\(devices)")
        #expect(devices.contains("error replies"), "\(devices)")
        #expect(devices.contains("last error: meter 000000000002, DI 0x0"), "\(devices)")
        #expect(devices.contains("last error: meter 000000000001, DI 0x0") && devices.contains("checksum error (computed"), "\(devices)")
        #expect(buses.contains("dlt645") && buses.contains("checksum errors") && buses.contains("error replies"), "\(buses)")
        #expect(buses.contains("  last error: meter 0000000000"), "\(buses)")
    }

    /// `read METER di 0xDDDDDDDD` on the console reads any DI of the table live through the bus
    /// worker (not only configured points), prints it in its format and unit, names the meter's
    /// error reply in words, and refuses register reads of a meter with the reason.
    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func consoleReadsAnyIdentifierOfAMeterLive() throws {
        let h = try H()
        let tty = try EndToEndConsoleTests.Terminal()
        try Self.startMeters(h, meters: ["000012345678"], devices: [("m1", "000012345678")], tty: tty)
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("edge> ") != nil, "no prompt")
        let frequency = tty.run("read m1 di 0x02800002")
        #expect(frequency.contains("m1 DI 0x02800002 = 49.98 Hz"), "\(frequency)")
        let current = tty.run("read m1 di 0x02020200")
        #expect(current.contains("m1 DI 0x02020200 = -0.456 A"), "\(current)")
        let refused = tty.run("read m1 di 0x00010200")
        #expect(refused.contains("m1: FAILED: meter 000012345678, DI 0x00010200: meter error reply 0x02 (no requested data)"), "\(refused)")
        let unknown = tty.run("read m1 di 0x09090909")
        #expect(unknown.contains("0x09090909 is not in the DL/T 645 table"), "\(unknown)")
        let registers = tty.run("read m1 holding 0")
        #expect(registers.contains("a DL/T 645 meter has no registers"), "\(registers)")
        // A configured point still reads at its next poll.
        let point = tty.run("read m1 ua")
        #expect(point.contains("220.1"), "\(point)")
    }
}
