import Foundation
import Testing

/// `edge-agent run` with an IEC 104 bus: the c104 outstation (Tools/iec104_test_outstation.py,
/// lib60870 inside) on loopback. The link starts and interrogates; the interrogated values reach
/// the cloud simulator as the station's measurepoints (the time-tagged one with the outstation's
/// time stamp, values with bad quality flags left out), a spontaneous change follows, and cloud
/// writes become single commands the outstation executes (one of them select-before-operate).
/// Runs, never skips: without c104 it fails with the install step.
@Suite(.serialized) struct EndToEndIEC104Tests {
    typealias H = EndToEndHarness

    static var outstationInstalled: Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [H.python, "-c", "import c104"]
        p.standardError = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// Starts the c104 outstation (Tools/iec104_test_outstation.py) on `port`, once it says READY.
    static func launchOutstation(_ h: H, port: UInt16) throws -> Process {
        let outstation = try h.launch("/usr/bin/env", [H.python, H.packageRoot.appendingPathComponent("Tools/iec104_test_outstation.py").path,
                                                       "\(port)"], stdout: true, stdin: true)
        _ = try h.readLine(outstation, containing: "READY")
        return outstation
    }

    func inject(_ h: H, _ method: String, _ params: Any, id: String) throws -> [String: Any]? {
        let r = try h.cloud(["cmd": "inject", "productKey": "subPK", "deviceKey": "station1", "method": method, "params": params, "id": id])
        #expect(r["ok"] as? Bool == true, "\(r)")
        return h.commandReply(id: id)
    }

    @Test func stationValuesReachTheCloudAndCloudWritesAreExecutedByTheOutstation() throws {
        try #require(H.prerequisitesPresent, "mosquitto or the edge-agent binary is missing: run Tools/install-host-deps.sh and swift build")
        try #require(Self.outstationInstalled, "c104 is not importable by python3: run Tools/install-host-deps.sh")
        let h = try H()
        let port = try H.freePort()
        let outstation = try Self.launchOutstation(h, port: port)
        let text = """
        {
          "buses": [{"name": "rtu", "type": "tcp", "protocol": "iec104", "host": "127.0.0.1", "port": \(port),
                     "responseTimeoutMs": 100, "iec104": {"t3Ms": 5000}}],
          "templates": [{"name": "station", "protocol": "iec104", "intervalMs": 50, "points": [
             {"id": "p", "ioa": 11, "type": "float"},
             {"id": "alarm", "ioa": 12, "type": "single"},
             {"id": "breaker", "ioa": 13, "type": "double"},
             {"id": "q", "ioa": 14, "type": "scaled"},
             {"id": "t", "ioa": 15, "type": "float", "scale": 2},
             {"id": "trip", "ioa": 20, "type": "single", "writable": true},
             {"id": "close", "ioa": 21, "type": "single", "writable": true, "select": true}]}],
          "devices": [{"name": "s47", "template": "station", "bus": "rtu", "commonAddress": 47, "productKey": "subPK", "deviceKey": "station1"}],
          "cloud": {"host": "127.0.0.1", "port": \(h.relayPort), "keepAliveSeconds": 5, "reconnectMinMs": 300, "reconnectMaxMs": 1000,
                    "gateway": {"productKey": "gwPK", "deviceKey": "gw1", "deviceSecret": "gwsecret"},
                    "subDevices": [{"device": "s47", "deviceSecret": "s1"}]},
          "ringLog": {"path": "\(h.ringLog.path)", "size": "2MiB", "sectorSize": "16KiB", "syncIntervalMs": 100},
          "publishing": {"liveIntervalMs": 300},
          "control": {"commandTtlMs": 5000}
        }
        """
        try text.write(to: h.configFile, atomically: true, encoding: .utf8)
        try h.startAgent()
        func entry(_ entries: [H.Entry], _ point: String) -> H.Entry? {
            entries.last { $0.device == "station1" && $0.points[point] != nil }
        }
        func value(_ entries: [H.Entry], _ point: String) -> Double? {
            entry(entries, point).flatMap { ($0.points[point] as? NSNumber)?.doubleValue }
        }
        let interrogated = h.waitFor(30) { entries in
            value(entries, "p") != nil && value(entries, "breaker") != nil && value(entries, "t") != nil
        }
        var log: String { (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? "" }
        #expect(interrogated, "\(log.suffix(2000))")
        var entries = h.entries()
        #expect(value(entries, "p") == 12.5)
        #expect(value(entries, "breaker") == 2, "DPI 2: on")
        #expect(value(entries, "t") == -3.0, "-1.5 scaled by 2")
        #expect(entry(entries, "t")?.time == 1_767_225_600_250, "the outstation's CP56Time2a is the sample's time")
        #expect(value(entries, "alarm") == nil, "an invalid value is not sent as good")
        #expect(value(entries, "q") == nil, "a not-topical, substituted value is not sent as good")

        // A spontaneous change.
        (outstation.standardInput as? Pipe)?.fileHandleForWriting.write(Data("spont 11 99.5\n".utf8))
        #expect(h.waitFor(15) { value($0, "p") == 99.5 }, "\(log.suffix(2000))")

        // Cloud writes: a direct single command and a select-before-operate one.
        let trip = try inject(h, "thing.service.measurepoint.set", ["trip": 1], id: "set-1")
        #expect(trip?["code"] as? Int == 200, "\(String(describing: trip)) \(log.suffix(2000))")
        #expect((try? h.readLine(outstation, containing: "COMMAND 20 True ACTIVATION")) != nil)
        let close = try inject(h, "thing.service.measurepoint.set", ["close": 1], id: "set-2")
        #expect(close?["code"] as? Int == 200, "\(String(describing: close)) \(log.suffix(2000))")
        #expect((try? h.readLine(outstation, containing: "COMMAND 21 True ACTIVATION")) != nil)
        entries = h.entries()
        #expect(h.stopAgent(signal: SIGTERM) == 0, "\(log.suffix(2000))")
    }
}
