import EdgeCompute
import EdgeCore
import FieldBus
import Testing

/// Derived points (`formula`), scale-factor references (`"scale": "@W_SF"`), report-by-exception
/// keys and virtual devices in the configuration: compiled at load; a refused formula names the
/// file, the JSON path, the line and column of the formula and the column inside it, and nothing
/// is built.
@Suite struct DerivedPointConfigurationTests {
    /// A template with polled points W, W_SF, A and `points` after them; devices inv1, inv2 and `devices` after them.
    static func text(points: String = "", devices: String = "") -> String {
        """
        {
          "buses": [{"name": "plant", "type": "tcp", "host": "127.0.0.1", "port": 1502}],
          "templates": [{"name": "inverter", "points": [
            {"id": "W", "table": "holding", "address": 0, "type": "int16", "scale": "@W_SF", "deadband": 50, "maxReportMs": 60000},
            {"id": "W_SF", "table": "holding", "address": 1, "type": "int16"},
            {"id": "A", "table": "holding", "address": 2, "type": "uint16", "deadbandPercent": 2, "minReportMs": 1000}\(points)]}],
          "devices": [{"name": "inv1", "template": "inverter", "unit": 1, "bus": "plant"},
                      {"name": "inv2", "template": "inverter", "unit": 2, "bus": "plant"}\(devices)]
        }
        """
    }

    static func parse(_ text: String) throws(ConfigErrors) -> FieldBusConfiguration {
        try FieldBusConfiguration.parse(Array(text.utf8), file: "site.json", checkDevicePaths: false)
    }

    static func errors(_ text: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try parse(text)
            return []
        } catch {
            return error.errors.map { $0.description }
        }
    }

    @Test func derivedPointsScaleReferencesAndReportSettingsAreLoaded() throws {
        let c = try Self.parse(Self.text(points: #", {"id": "V", "formula": "if(A != 0, W / A, 0)", "deadband": 0.5}"#,
                                         devices: #", {"name": "plant", "type": "virtual", "productKey": "pk", "deviceKey": "plant", "points": [{"id": "total", "formula": "inv1.W + inv2.W", "minReportMs": 5000}]}"#))
        let points = c.templates[0].points
        #expect(points[0].scalePoint == "W_SF")
        #expect(points[0].scale == 1)
        #expect(points[0].report == ReportFilterSettings(deadband: 50, maxReportMs: 60_000))
        #expect(points[2].report == ReportFilterSettings(deadbandPercent: 2, minReportMs: 1_000))
        #expect(points[3].formula == "if(A != 0, W / A, 0)")
        #expect(points[3].isDerived && !points[3].writable)
        #expect(points[3].report.deadband == 0.5)
        let plant = c.devices[2]
        #expect(plant.isVirtual)
        #expect(plant.cloud == CloudIdentity(productKey: "pk", deviceKey: "plant"))
        #expect(c.templates[plant.template].points[0].formula == "inv1.W + inv2.W")
        // The plan: one slot per point of every device, the scale factor's slot, the formulas in order.
        let plan = try ComputePlan.build(c)
        #expect(plan.offsets == [0, 4, 8])
        #expect(plan.scaleSlots[0] == 1 && plan.scaleSlots[4] == 5 && plan.scaleSlots[1] == -1)
        #expect(plan.derived.map { $0.slot } == [3, 7, 8])
    }

    @Test func derivedPointsAreNotPolled() throws {
        let c = try Self.parse(Self.text(points: #", {"id": "V", "formula": "W * 2"}"#))
        let plan = try RequestPlanner.plan(c.templates[0], selection: [0, 1, 2])
        #expect(plan.requests.count == 1)
        #expect(plan.points.count == 3)
    }

    @Test func unknownReferenceNamesTheFilePathLineAndColumnInTheFormula() {
        let e = Self.errors(Self.text(points: #", {"id": "V", "formula": "W + nope"}"#))
        #expect(e == [#"site.json: templates[0].points[3].formula (line 6, column 136): formula refused at column 5 of the formula: unknown reference "nope""#])
    }

    @Test func formulasInACircleAreRefused() {
        let e = Self.errors(Self.text(points: #", {"id": "x", "formula": "y + 1"}, {"id": "y", "formula": "x * 2"}"#))
        #expect(e.count == 1)
        #expect(e.first?.contains("formulas depend on each other in a circle: ") == true)
        #expect(e.first?.contains("templates[0].points[") == true)
    }

    @Test func aFormulaOfTooManyInstructionsIsRefused() {
        let long = Array(repeating: "W * A", count: 40).joined(separator: " + ")
        let e = Self.errors(Self.text(points: #", {"id": "V", "formula": "\#(long)"}"#))
        #expect(e.count == 1)
        #expect(e.first?.contains("templates[0].points[3].formula (line 6, column 136): formula refused at column ") == true, "\(e)")
        #expect(e.first?.contains("more than 64 instructions") == true)
    }

    @Test func aDerivedPointHasNothingToPoll() {
        let e = Self.errors(Self.text(points: #", {"id": "V", "formula": "W * 2", "table": "holding", "address": 9}"#))
        #expect(e.count == 2)
        #expect(e.first?.contains(#"templates[0].points[3].table (line 6, column 145): "table" does not apply to a derived point"#) == true, "\(e)")
    }

    @Test func aScaleReferenceMustNameAPolledNumberPointOfTheTemplate() {
        #expect(Self.errors(Self.text(points: #", {"id": "P", "table": "holding", "address": 5, "type": "int16", "scale": "@nope"}"#))
            == [#"site.json: templates[0].points[3].scale (line 6, column 185): scale factor "nope" is no point of this template"#])
        #expect(Self.errors(Self.text(points: #", {"id": "P", "table": "holding", "address": 5, "type": "int16", "scale": "W_SF"}"#)).first?
            .contains("scale is a number or \"@POINT\"") == true)
        #expect(Self.errors(Self.text(points: #", {"id": "P", "table": "holding", "address": 5, "type": "int16", "scale": "@P"}"#)).first?
            .contains("cannot be its own scale factor") == true)
    }

    @Test func deadbandAndDeadbandPercentTogetherAreRefused() {
        let e = Self.errors(Self.text(points: #", {"id": "P", "table": "holding", "address": 5, "type": "int16", "deadband": 1, "deadbandPercent": 1}"#))
        #expect(e.count == 1)
        #expect(e.first?.contains("give deadband or deadbandPercent, not both") == true)
    }

    @Test func aVirtualDeviceReferenceToAnUnknownDeviceOrPointIsRefusedAtItsFormula() {
        let e = Self.errors(Self.text(devices: #", {"name": "plant", "type": "virtual", "points": [{"id": "total", "formula": "inv1.W + inv3.W"}]}"#))
        #expect(e.count == 1)
        #expect(e.first?.hasPrefix("site.json: devices[2].points[0].formula (line 8, column 159)") == true, "\(e)")
        #expect(e.first?.hasSuffix(#"formula refused at column 10 of the formula: unknown reference "inv3.W""#) == true)
        // A polled device's template cannot reach into another device.
        let local = Self.errors(Self.text(points: #", {"id": "V", "formula": "inv2.W"}"#))
        #expect(local.first?.contains(#"unknown reference "inv2.W""#) == true)
    }

    @Test func virtualDevicesInACircleAreRefused() {
        let e = Self.errors(Self.text(devices: #"""
            , {"name": "a", "type": "virtual", "points": [{"id": "x", "formula": "b.x + inv1.W"}]},
              {"name": "b", "type": "virtual", "points": [{"id": "x", "formula": "a.x"}]}
            """#))
        #expect(e.count == 1)
        #expect(e.first?.contains("formulas depend on each other in a circle: ") == true)
    }

    @Test func aVirtualDevicePointNeedsAFormula() {
        let e = Self.errors(Self.text(devices: #", {"name": "plant", "type": "virtual", "points": [{"id": "total"}]}"#))
        #expect(e.count == 1)
        #expect(e.first?.contains("every point of a virtual device is derived") == true)
    }
}
