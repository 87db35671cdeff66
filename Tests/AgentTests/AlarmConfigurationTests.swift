import EdgeAlarms
import EdgeCore
import Foundation
import Testing
@testable import Configuration

/// The `alarms` section: compiled into rules at load, every mistake refused with the file, the
/// path, the line and the column.
@Suite struct AlarmConfigurationTests {
    /// A configuration with two inverters (temperature, acPower, powerLimit) and `alarms`.
    static func config(_ alarms: String) -> String {
        """
        {
          "buses": [{"name": "b", "type": "tcp", "host": "127.0.0.1", "port": 1502}],
          "templates": [{"name": "inv", "points": [
            {"id": "acPower", "table": "input", "address": 0, "type": "int32"},
            {"id": "temperature", "table": "input", "address": 2, "type": "int16", "scale": 0.1},
            {"id": "powerLimit", "table": "holding", "address": 100, "type": "uint16"}]}],
          "devices": [{"name": "inverter-1", "template": "inv", "unit": 1, "bus": "b", "productKey": "pk", "deviceKey": "inv1"},
                      {"name": "inverter2", "template": "inv", "unit": 2, "bus": "b"}],
          "cloud": {"host": "localhost", "port": 1883,
                    "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                    "subDevices": [{"device": "inverter-1", "deviceSecret": "s1"}]},
          "ringLog": {"path": "/tmp/x.log", "size": "1MiB", "sectorSize": "64KiB"},
          "alarms": \(alarms)
        }
        """
    }

    static func documentedAlarms() throws -> String {
        let text = try String(contentsOf: AgentConfigurationTests.packageRoot.appendingPathComponent("Sources/Configuration/CONFIG.md"), encoding: .utf8)
        let start = try #require(text.range(of: "## `alarms`"))
        let open = try #require(text.range(of: "```json\n\"alarms\": ", range: start.upperBound..<text.endIndex))
        let close = try #require(text.range(of: "```", range: open.upperBound..<text.endIndex))
        return String(text[open.upperBound..<close.lowerBound])
    }

    @Test func theDocumentedExampleCompilesIntoRulesOverTheDevicesSlots() throws {
        let c = try AgentConfiguration.parse(Array(Self.config(try Self.documentedAlarms()).utf8), file: "CONFIG.md", checkDevicePaths: false)
        let a = c.alarms
        #expect(a.slotBase == [0, 3] && a.slotCount == 6)
        #expect(a.rules.count == 3)
        let overTemp = a.rules.rules[0]
        #expect(a.rules.string(overTemp.identifier) == "inverter-1-overtemp")
        #expect(overTemp.kind == .above && overTemp.limit == 80 && overTemp.hysteresis == 5)
        #expect(overTemp.onDelayMilliseconds == 10_000 && overTemp.offDelayMilliseconds == 60_000 && overTemp.level == .major)
        #expect(a.rules.string(overTemp.eventId) == "overTemp")
        #expect(Array(a.rules.captures[Int(overTemp.captureStart)..<Int(overTemp.captureStart) + Int(overTemp.captureCount)]) == [1, 0],
                "temperature and acPower of inverter-1")
        #expect(a.rules.rules[1].kind == .offline && a.rules.rules[1].level == .critical)
        #expect(a.rules.rules[2].kind == .expression && a.rules.rules[2].level == .warning)
    }

    @Test func anotherDevicesPointIsReachedAsDeviceDotPoint() throws {
        let c = try AgentConfiguration.parse(Array(Self.config(#"[{"id": "a", "device": "inverter-1", "condition": "temperature - inverter2.temperature > 10", "eventId": "e"}]"#).utf8),
                                             file: "agent.json", checkDevicePaths: false)
        #expect(c.alarms.rules.count == 1)
        #expect(c.alarms.rules.rules[0].code.inputCount == 5, "inverter2.temperature is slot 3 + 1")
    }

    @Test func withoutTheSectionThereAreNoRules() throws {
        let c = try AgentConfiguration.parse(Array(AgentConfigurationTests.minimal.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(c.alarms.rules.count == 0)
    }

    @Test func eachMistakeIsReportedWithItsPathLineAndColumn() {
        let bad = """
            [{"id": "a", "device": "nope", "offline": true, "eventId": "e"},
             {"id": "b", "device": "inverter-1", "high": {"point": "temp", "limit": 80}, "eventId": "e"},
             {"id": "c", "device": "inverter-1", "condition": "temperature > > 80", "eventId": "e"},
             {"id": "d", "device": "inverter-1", "eventId": "e"},
             {"id": "e", "device": "inverter-1", "offline": true, "stale": {"point": "acPower", "afterMs": 5}, "eventId": "e"},
             {"id": "f", "device": "inverter-1", "offline": true, "onDelayMs": 86400001, "eventId": "e"},
             {"id": "g", "device": "inverter-1", "offline": true, "eventId": "e", "message": "at {power}"},
             {"id": "h", "device": "inverter-1", "offline": true, "eventId": "e", "outputs": [{"id": "x", "value": "colour"}]},
             {"id": "i", "device": "inverter-1", "offline": true, "eventId": "over/temp"},
             {"id": "ok", "device": "inverter-1", "offline": true, "eventId": "e"},
             {"id": "ok", "device": "inverter-1", "offline": true, "eventId": "e"},
             {"id": "j", "device": "inverter-1", "offline": false, "eventId": "e"},
             {"id": "k", "device": "inverter-1", "offline": true, "eventId": "e", "level": "fatal"}]
            """
        let e = AgentConfigurationTests.errors(Self.config(bad))
        func has(_ prefix: String, _ words: String) -> Bool {
            e.contains { $0.hasPrefix("agent.json: " + prefix) && $0.contains(words) }
        }
        #expect(has("alarms[0].device (line 13, column 36)", #"unknown device "nope""#), "\(e)")
        #expect(has("alarms[1].high (line 14, column 46)", #"column 1: unknown reference "temp""#), "\(e)")
        #expect(has("alarms[2].condition (line 15, column 51)", "column 15: expected a number, a point or"), "\(e)")
        #expect(has("alarms[3] (line 16, column 2)", "missing condition"), "\(e)")
        #expect(has("alarms[4] (line 17, column 2)", "more than one condition: stale, offline"), "\(e)")
        #expect(has("alarms[5].onDelayMs (line 18, column 68)", "out of range"), "\(e)")
        #expect(has("alarms[6].message (line 19, column 82)", #"column 5: unknown point "power""#), "\(e)")
        #expect(has("alarms[7].outputs[0].value (line 20, column 104)", #""colour""#), "\(e)")
        #expect(has("alarms[8].eventId (line 21, column 66)", "may hold only"), "\(e)")
        #expect(has("alarms[10].id (line 23, column 9)", #"duplicate alarm id "ok""#), "\(e)")
        #expect(has("alarms[11].offline (line 24, column 49)", "write true"), "\(e)")
        #expect(has("alarms[12].level (line 25, column 80)", #""fatal""#), "\(e)")
        #expect(e.count == 12, "\(e)")
    }
}
