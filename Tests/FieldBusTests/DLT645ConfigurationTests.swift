import EdgeCore
import FieldBus
import Testing

/// DL/T 645 buses, templates and devices in the configuration: the bus's `"protocol"`, points by
/// data identifier, meters by address; each mistake named at its place, and Modbus unchanged.
@Suite struct DLT645ConfigurationTests {
    static let valid = """
        {
          "buses": [
            {"name": "meters", "type": "serial", "protocol": "dlt645", "device": "/dev/null", "baud": 2400, "parity": "E"},
            {"name": "rs485", "type": "serial", "device": "/dev/null"},
            {"name": "plant", "type": "tcp", "host": "10.0.0.5"}
          ],
          "templates": [
            {"name": "dlt", "protocol": "dlt645", "intervalMs": 5000, "points": [
              {"id": "energy", "di": "0x00010000"},
              {"id": "ua", "di": "02010100", "scale": 1, "intervalMs": 1000}
            ]},
            {"name": "modbus", "points": [{"id": "v", "table": "holding", "address": 0, "type": "uint16"}]}
          ],
          "devices": [
            {"name": "m1", "template": "dlt", "bus": "meters", "address": "000012345678"},
            {"name": "m2", "template": "dlt", "bus": "meters", "address": "000012345679"},
            {"name": "u1", "template": "modbus", "bus": "rs485", "unit": 1}
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

    @Test func aDLT645BusKeepsNoModbusGapBetweenFramesUnlessOneIsSet() {
        let serial = BusTransportSettings.serial(SerialSettings(path: "/dev/null", baud: 2400, parity: .even))
        let meters = BusDefinition(name: "meters", transport: serial, fieldProtocol: .dlt645)
        #expect(meters.interFrameGapNanoseconds == 0)
        let modbus = BusDefinition(name: "rtu", transport: serial)
        #expect(modbus.interFrameGapNanoseconds > 10_000_000, "Modbus RTU keeps its 3.5 characters (16 ms at 2400 8E1)")
        let set = BusDefinition(name: "meters", transport: serial, interFrameGapMicroseconds: 2_000, fieldProtocol: .dlt645)
        #expect(set.interFrameGapNanoseconds == 2_000_000)
    }

    @Test func validDocumentBuildsMetersAndKeepsModbusDefaults() throws {
        let config = try FieldBusConfiguration.parse(Array(Self.valid.utf8), file: "fieldbus.json")
        #expect(config.buses.map(\.fieldProtocol) == [.dlt645, .modbusRTU, .modbusTCP])
        #expect(config.templates[0].fieldProtocol == .dlt645)
        #expect(config.templates[1].fieldProtocol == nil)
        #expect(config.templates[0].points.map(\.objectAddress) == [0x0001_0000, 0x0201_0100])
        #expect(config.devices[0].station == 0x0000_1234_5678)
        #expect(config.devices[2].station == 0 && config.devices[2].unitId == 1)
    }

    @Test func mistakesAreNamedAtTheirPlace() {
        let cases: [(String, String, String)] = [
            ("\"di\": \"0x00010000\"", "\"di\": \"0x0001FF00\"", "templates[0].points[0].di"),
            ("\"di\": \"0x00010000\"", "\"di\": \"0x000100\"", "not a data identifier"),
            ("\"di\": \"0x00010000\"", "\"di\": \"0x0001000G\"", "not a data identifier"),
            ("{\"id\": \"energy\", \"di\": \"0x00010000\"}", "{\"id\": \"energy\", \"di\": \"0x00010000\", \"table\": \"holding\"}", "table"),
            ("\"address\": \"000012345678\"", "\"address\": \"12345678\"", "not a DL/T 645 meter address"),
            ("\"address\": \"000012345679\"", "\"address\": \"000012345678\"", "address 000012345678 is already used"),
            ("\"address\": \"000012345678\"}", "\"address\": \"000012345678\", \"unit\": 3}", "not a \"unit\""),
            ("{\"name\": \"m2\", \"template\": \"dlt\"", "{\"name\": \"m2\", \"template\": \"modbus\"", "is not a DL/T 645 template"),
            ("{\"name\": \"u1\", \"template\": \"modbus\"", "{\"name\": \"u1\", \"template\": \"dlt\"", "is a DL/T 645 template"),
            ("\"type\": \"serial\", \"protocol\": \"dlt645\", \"device\": \"/dev/null\", \"baud\": 2400, \"parity\": \"E\"",
             "\"type\": \"tcp\", \"protocol\": \"dlt645\", \"host\": \"h\"", "runs on a serial bus"),
            ("\"protocol\": \"dlt645\", \"device\"", "\"protocol\": \"iec\", \"device\"", "buses[0].protocol"),
            ("{\"name\": \"rs485\", \"type\": \"serial\"", "{\"name\": \"rs485\", \"timeSyncIntervalS\": 60, \"type\": \"serial\"",
             "buses[1].timeSyncIntervalS"),
        ]
        for (old, new, needle) in cases {
            let found = Self.errors(Self.replacing(old, with: new))
            #expect(found.contains { $0.contains(needle) }, "\(new): \(found)")
            #expect(found.allSatisfy { $0.contains("fieldbus.json") })
            // One mistake, one error: nothing cascades onto the devices of a refused bus.
            #expect(found.count == 1, "\(new): \(found)")
        }
    }
}
