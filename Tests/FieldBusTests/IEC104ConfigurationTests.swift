import EdgeCore
import FieldBus
import IEC104
import Testing

/// IEC 104 buses, templates and stations in the configuration: `"protocol": "iec104"` on a TCP bus
/// with its link parameters (the standard's defaults), points by object address and kind,
/// stations by common address; each mistake named at its place.
@Suite struct IEC104ConfigurationTests {
    static let valid = """
        {
          "buses": [
            {"name": "substation", "type": "tcp", "protocol": "iec104", "host": "10.0.0.7",
             "iec104": {"k": 12, "w": 8, "t1Ms": 15000, "interrogationIntervalS": 600}},
            {"name": "plant", "type": "tcp", "host": "10.0.0.5"}
          ],
          "templates": [
            {"name": "rtu", "protocol": "iec104", "intervalMs": 50, "points": [
              {"id": "p", "ioa": 11, "type": "float", "scale": 0.001},
              {"id": "breaker", "ioa": 13, "type": "double", "writable": true, "select": true, "commandIoa": 113},
              {"id": "trip", "ioa": 20, "type": "single", "writable": true},
              {"id": "sp", "ioa": 30, "type": "float", "writable": true, "min": 0, "max": 100},
              {"id": "energy", "ioa": 40, "type": "counter"}
            ]},
            {"name": "modbus", "points": [{"id": "v", "table": "holding", "address": 0, "type": "uint16"}]}
          ],
          "devices": [
            {"name": "s1", "template": "rtu", "bus": "substation", "commonAddress": 47},
            {"name": "s2", "template": "rtu", "bus": "substation", "commonAddress": 48},
            {"name": "u1", "template": "modbus", "bus": "plant", "unit": 1}
          ]
        }
        """

    static func errors(_ text: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try FieldBusConfiguration.parse(Array(text.utf8), file: "fieldbus.json")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    static func replacing(_ old: String, with new: String) -> String {
        precondition(valid.contains(old), old)
        return valid.replacingOccurrences(of: old, with: new)
    }

    @Test func validDocumentBuildsStationsWithTheStandardsDefaults() throws {
        let config = try FieldBusConfiguration.parse(Array(Self.valid.utf8), file: "fieldbus.json")
        #expect(config.buses.map(\.fieldProtocol) == [.iec104, .modbusTCP])
        #expect(config.buses[0].transport == .tcp(TCPSettings(host: "10.0.0.7", port: 2404)))
        #expect(config.buses[1].transport == .tcp(TCPSettings(host: "10.0.0.5", port: 502)))
        let link = try #require(config.buses[0].iec104Link)
        #expect(link.k == 12 && link.w == 8 && link.t0Milliseconds == 30_000 && link.t1Milliseconds == 15_000)
        #expect(link.t2Milliseconds == 10_000 && link.t3Milliseconds == 20_000 && link.interrogationPeriodMilliseconds == 600_000)
        #expect(config.buses[1].iec104Link == nil)
        #expect(link.clockSyncPeriodMilliseconds == 0)
        let synchronised = try FieldBusConfiguration.parse(Array(Self.replacing("\"k\": 12", with: "\"k\": 12, \"clockSyncIntervalMs\": 600000").utf8),
                                                           file: "fieldbus.json")
        #expect(synchronised.buses[0].iec104Link?.clockSyncPeriodMilliseconds == 600_000)
        let points = config.templates[0].points
        #expect(config.templates[0].fieldProtocol == .iec104)
        #expect(points.map(\.objectAddress) == [11, 13, 20, 30, 40])
        #expect(points.map { $0.iec104?.kind } == [.float, .double, .single, .float, .counter])
        #expect(points[1].iec104 == IEC104PointSettings(kind: .double, commandAddress: 113, selectBeforeOperate: true))
        #expect(points[2].writable && points[2].iec104?.commandAddress == nil && points[2].iec104?.selectBeforeOperate == false)
        #expect(points[3].allowedRange == 0...100)
        #expect(config.devices.map(\.station) == [47, 48, 0])
    }

    @Test func mistakesAreNamedAtTheirPlace() {
        let cases: [(String, String, String)] = [
            ("\"type\": \"tcp\", \"protocol\": \"iec104\"", "\"type\": \"serial\", \"device\": \"/dev/null\", \"protocol\": \"iec104\"",
             "buses[0].protocol: protocol \"iec104\" runs on a tcp bus, not a serial one"),
            ("\"k\": 12", "\"k\": 0", "buses[0].iec104.k"),
            ("\"k\": 12", "\"k\": 12, \"clockSyncIntervalMs\": 999", "buses[0].iec104.clockSyncIntervalMs"),
            ("\"k\": 12", "\"k\": 12, \"t2Ms\": 20000", "buses[0].iec104.t2Ms: t2Ms (20000) must be shorter than t1Ms (15000)"),
            ("\"w\": 8", "\"w\": 9", "buses[0].iec104.w: w (9) must be at most two thirds of k (12)"),
            ("\"k\": 12", "\"k\": 12, \"tx\": 1", "buses[0].iec104"),
            ("\"host\": \"10.0.0.5\"}", "\"host\": \"10.0.0.5\", \"iec104\": {\"k\": 3}}",
             "buses[1].iec104: \"iec104\" applies to a bus with \"protocol\": \"iec104\""),
            ("\"ioa\": 11,", "\"ioa\": 16777216,", "templates[0].points[0].ioa"),
            ("\"ioa\": 11,", "", "templates[0].points[0]"),
            ("\"type\": \"counter\"", "\"type\": \"register\"", "templates[0].points[4].type"),
            ("\"type\": \"counter\"", "\"type\": \"counter\", \"writable\": true",
             "templates[0].points[4].writable: a counter point cannot be commanded"),
            ("\"ioa\": 40", "\"ioa\": 20", "templates[0].points[4].ioa: ioa 20 is already point \"trip\""),
            ("{\"id\": \"energy\", \"ioa\": 40, \"type\": \"counter\"}", "{\"id\": \"energy\", \"ioa\": 40, \"type\": \"counter\", \"select\": true}",
             "templates[0].points[4].select: \"select\" applies to a writable point"),
            ("\"ioa\": 40, \"type\": \"counter\"", "\"ioa\": 40, \"type\": \"counter\", \"intervalMs\": 5", "templates[0].points[4]"),
            ("\"type\": \"single\", \"writable\": true", "\"type\": \"single\", \"writable\": true, \"max\": 1",
             "templates[0].points[2].max: min/max limit set-points"),
            ("\"commonAddress\": 48", "\"commonAddress\": 47",
             "devices[1].commonAddress: common address 47 is already used on bus \"substation\" by devices[0]"),
            ("\"commonAddress\": 48", "\"commonAddress\": 65535", "devices[1].commonAddress"),
            ("\"commonAddress\": 48", "\"unit\": 48", "devices[1].unit: an IEC 104 station has a \"commonAddress\""),
            ("\"bus\": \"plant\", \"unit\": 1", "\"bus\": \"plant\", \"unit\": 1, \"commonAddress\": 3",
             "devices[2].commonAddress: \"commonAddress\" belongs to a station on an iec104 bus"),
            ("{\"name\": \"s2\", \"template\": \"rtu\"", "{\"name\": \"s2\", \"template\": \"modbus\"",
             "devices[1].template: template \"modbus\" is not an IEC 104 template (\"protocol\": \"iec104\"), but bus \"substation\" is iec104"),
            ("\"template\": \"modbus\", \"bus\": \"plant\"", "\"template\": \"rtu\", \"bus\": \"plant\"",
             "devices[2].template: template \"rtu\" is an IEC 104 template, but bus \"plant\" is modbus-tcp"),
        ]
        for (old, new, expected) in cases {
            let found = Self.errors(Self.replacing(old, with: new))
            // "place: what" — the error reads "fieldbus.json: place (line, column): what".
            let parts = expected.split(separator: ":", maxSplits: 1)
            let place = String(parts[0]), what = parts.count > 1 ? String(parts[1].dropFirst()) : ""
            #expect(found.contains { $0.contains("fieldbus.json: " + place) && (what.isEmpty || $0.contains(what)) }, "\(new): \(found)")
        }
    }
}
