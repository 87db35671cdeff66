import EdgeCore
import FieldBus
import Foundation
import Testing

/// Loading buses, templates and devices from JSON: a valid file becomes the model; each kind of
/// mistake is reported with file, path, line and column, all of them at once, and nothing is built.
@Suite struct FieldBusConfigurationTests {
    static let valid = """
        {
          "buses": [
            {"name": "rs485-1", "type": "serial", "device": "/dev/null", "baud": 19200, "parity": "E",
             "rs485": {"mode": "kernel", "rtsOnSend": true, "delayAfterSendMs": 1}, "responseTimeoutMs": 300},
            {"name": "plant", "type": "tcp", "host": "10.0.0.5", "port": 1502}
          ],
          "templates": [
            {"name": "meter", "intervalMs": 2000, "registerGap": 4,
             "forbidden": [{"table": "holding", "first": 10, "last": 19}],
             "points": [
               {"id": "voltage", "table": "holding", "address": 100, "type": "uint16", "scale": 0.1},
               {"id": "power", "table": "holding", "address": 102, "type": "float32", "order": "CDAB", "intervalMs": 500},
               {"id": "serial", "table": "input", "address": 0, "type": "string", "length": 12},
               {"id": "alarm", "table": "holding", "address": 104, "type": "bit", "bit": 3},
               {"id": "setpoint", "table": "holding", "address": 200, "type": "int16", "writable": true, "min": -50, "max": 50},
               {"id": "relay", "table": "coil", "address": 0, "writable": true}
             ]}
          ],
          "devices": [
            {"name": "m1", "template": "meter", "unit": 1, "bus": "rs485-1", "productKey": "pk", "deviceKey": "dk1"},
            {"name": "m2", "template": "meter", "unit": 2, "bus": "rs485-1", "intervalMs": 10000},
            {"name": "m3", "template": "meter", "unit": 1, "bus": "plant"}
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

    /// The valid document with one substring replaced.
    static func errors(replacing old: String, with new: String) -> [String] {
        #expect(valid.contains(old), "test setup: \(old)")
        return errors(valid.replacingOccurrences(of: old, with: new))
    }

    @Test func aValidFileBuildsTheModel() throws {
        let c = try FieldBusConfiguration.parse(Array(Self.valid.utf8), file: "fieldbus.json")
        #expect(c.buses.count == 2)
        #expect(c.buses[0].transport == .serial(SerialSettings(path: "/dev/null", baud: 19200, parity: .even,
                                                                rs485: .kernel(rtsOnSend: true, delayBeforeSendMilliseconds: 0, delayAfterSendMilliseconds: 1))))
        #expect(c.buses[0].responseTimeoutMilliseconds == 300)
        #expect(c.buses[1].transport == .tcp(TCPSettings(host: "10.0.0.5", port: 1502)))
        let t = c.templates[0]
        #expect(t.limits.registerGap == 4)
        #expect(t.forbidden == [AddressRange(table: .holdingRegister, first: 10, last: 19)])
        #expect(t.points.map(\.dataType) == [.uint16, .float32, .string(length: 12), .bitOfRegister(index: 3), .int16, .bool])
        #expect(t.points[1].order == .cdab)
        #expect(t.points[4].allowedRange == -50...50)
        #expect(c.devices[0].cloud == CloudIdentity(productKey: "pk", deviceKey: "dk1"))
        #expect(c.devices[1].intervalOverrideMilliseconds == 10000)
        #expect(c.devices[2].bus == 1)
    }

    @Test func unknownTypeNamesThePathLineAndColumn() {
        let e = Self.errors(replacing: "\"type\": \"uint16\"", with: "\"type\": \"uint17\"")
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("fieldbus.json: templates[0].points[0].type (line 11, column 70): expected one of") == true, "\(e)")
        #expect(e.first?.hasSuffix("found \"uint17\"") == true, "\(e)")
    }

    @Test func aThirtyTwoBitValueSplitAtTheWrongRegisterIsRefused() {
        let e = Self.errors(replacing: "\"address\": 104, \"type\": \"bit\", \"bit\": 3",
                            with: "\"address\": 103, \"type\": \"uint32\"")
        #expect(e == ["fieldbus.json: templates[0].points[3].address (line 14, column 55): uint32 at 103 overlaps float32 \"power\" at 102 (templates[0].points[1]): a multi-register value split at the wrong register"])
    }

    @Test func countsBeyondLimitsAreRefused() {
        #expect(Self.errors(replacing: "\"registerGap\": 4", with: "\"registerGap\": 4, \"maxRegistersPerRead\": 200")
                == ["fieldbus.json: templates[0].maxRegistersPerRead (line 8, column 84): integer 200 is out of range 1...125"])
        #expect(Self.errors(replacing: "\"length\": 12", with: "\"length\": 300").first?
                    .contains("templates[0].points[2].length") == true)
        let e = Self.errors(replacing: "\"registerGap\": 4", with: "\"registerGap\": 4, \"maxRegistersPerRead\": 4")
        #expect(e == ["fieldbus.json: templates[0].points[2] (line 13, column 8): point \"serial\" needs 6 registers, beyond the device's limit of 4 a read"])
        let f = Self.errors(replacing: "\"address\": 200, \"type\": \"int16\"", with: "\"address\": 15, \"type\": \"int16\"")
        #expect(f.first?.contains("point \"setpoint\" covers a register the device must never be asked for") == true, "\(f)")
    }

    @Test func unknownTemplatesAndBusesAreRefused() {
        let e = Self.errors(replacing: "\"template\": \"meter\", \"unit\": 2", with: "\"template\": \"meterX\", \"unit\": 2")
        #expect(e == ["fieldbus.json: devices[1].template (line 21, column 32): unknown template \"meterX\" (known: meter)"])
        let b = Self.errors(replacing: "\"bus\": \"plant\"", with: "\"bus\": \"plnt\"")
        #expect(b.first?.hasSuffix("unknown bus \"plnt\" (known: rs485-1, plant)") == true, "\(b)")
    }

    @Test func duplicateNamesAndUnitsAreRefused() {
        #expect(Self.errors(replacing: "{\"name\": \"m2\"", with: "{\"name\": \"m1\"")
                == ["fieldbus.json: devices[1].name (line 21, column 14): duplicate device name \"m1\" (also devices[0])"])
        #expect(Self.errors(replacing: "\"name\": \"plant\"", with: "\"name\": \"rs485-1\"").first?
                    .contains("duplicate bus name \"rs485-1\" (also buses[0])") == true)
        #expect(Self.errors(replacing: "\"id\": \"power\"", with: "\"id\": \"voltage\"").first?
                    .contains("templates[0].points[1].id (line 12, column 15): duplicate point id \"voltage\"") == true)
        #expect(Self.errors(replacing: "\"unit\": 2", with: "\"unit\": 1").first?
                    .contains("devices[1].unit (line 21, column 49): unit 1 is already used on bus \"rs485-1\" by devices[0]") == true)
    }

    @Test func aMissingSerialDeviceIsRefused() {
        let e = Self.errors(replacing: "\"/dev/null\"", with: "\"/dev/ttyNOPE9\"")
        #expect(e.count == 1)
        #expect(e.first == "fieldbus.json: buses[0].device (line 3, column 53): serial device \"/dev/ttyNOPE9\" does not exist")
    }

    @Test func allErrorsAreCollectedAndNothingIsBuilt() {
        var text = Self.valid.replacingOccurrences(of: "\"uint16\"", with: "\"word\"")
        text = text.replacingOccurrences(of: "\"baud\": 19200", with: "\"baud\": \"fast\"")
        text = text.replacingOccurrences(of: "\"unit\": 2", with: "\"unit\": 2, \"colour\": 1")
        text = text.replacingOccurrences(of: "\"table\": \"coil\", \"address\": 0, \"writable\": true",
                                         with: "\"table\": \"input\", \"address\": 0, \"type\": \"int16\", \"writable\": true")
        let e = Self.errors(text)
        #expect(e.count == 4, "\(e.joined(separator: "\n"))")
        #expect(e.contains { $0.contains("buses[0].baud") && $0.contains("expected an integer, found \"fast\"") })
        #expect(e.contains { $0.contains("templates[0].points[0].type") })
        #expect(e.contains { $0.contains("templates[0].points[5].writable") && $0.contains("cannot be writable") })
        #expect(e.contains { $0.contains("devices[1].colour") && $0.contains("unknown key") })
        // The refused template is not reported again for each device that uses it.
        #expect(!e.contains { $0.contains("devices[0]") })
    }

    @Test func syntaxErrorsNameTheLineAndColumn() {
        let e = Self.errors("{\"buses\": [}")
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("fieldbus.json (line 1, column 12)") == true, "\(e)")
    }
}
