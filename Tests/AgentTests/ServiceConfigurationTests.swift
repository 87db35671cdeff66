import EdgeCore
import FieldBus
import Testing
@testable import Configuration

/// `services` of templates and devices: resolved at load into point and input indices (a device's
/// own replacing its template's of the same id), and every mistake refused with the file, the
/// path, the line and the column.
@Suite struct ServiceConfigurationTests {
    static func config(template: String, device: String = "") -> String {
        AgentConfigurationTests.minimal
            .replacingOccurrences(of: #"{"id": "v", "table": "holding", "address": 0, "type": "uint16"}]}"#, with: """
                {"id": "v", "table": "holding", "address": 0, "type": "uint16"},
                {"id": "lo", "table": "holding", "address": 1, "type": "uint16", "writable": true, "max": 100},
                {"id": "hi", "table": "holding", "address": 2, "type": "uint16", "writable": true}],
                "services": \(template)}
                """)
            .replacingOccurrences(of: #""deviceKey": "dk1"}"#, with: #""deviceKey": "dk1""# + device + "}")
    }

    static let setLimits = """
        [{"id": "setLimits", "inputs": [{"id": "low", "type": "integer"}, {"id": "high", "type": "number"}],
          "writes": [{"point": "lo", "input": "low", "readBack": true}, {"point": "hi", "input": "high"}, {"point": "hi", "value": 7}],
          "outputs": [{"id": "low", "point": "lo"}, {"id": "now", "point": "v"}]}]
        """

    @Test func servicesAreResolvedIntoPointAndInputIndicesAndADeviceReplacesItsTemplates() throws {
        let text = Self.config(template: Self.setLimits,
                               device: #", "services": [{"id": "setLimits", "writes": [{"point": "hi", "value": 1}]}, {"id": "reset", "writes": [{"point": "lo", "value": 0}]}]"#)
        let c = try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
        let s = c.services
        #expect(s.services.count == 3)
        let template = s.services[0]
        #expect(template.identifier == "setLimits")
        #expect(template.inputs.map(\.identifier) == ["low", "high"])
        #expect(template.inputs.map(\.type) == [.integer, .number])
        #expect(template.actions.map(\.point) == [1, 2, 2])
        #expect(template.actions.map(\.value) == [.input(0), .input(1), .constant(.int(7))])
        #expect(template.actions.map(\.readBack) == [true, false, false])
        #expect(template.outputs == [ServiceOutput(identifier: "low", point: 1), ServiceOutput(identifier: "now", point: 0)])
        #expect(template.inputs[0].missingMessage == #"missing input parameter "low""#)
        #expect(template.inputs[1].wrongTypeMessage == #"input parameter "high" must be a number"#)
        // d1 has its own setLimits (replacing the template's) and reset; d2 the template's.
        #expect(s.offered(by: 0).map { s.services[$0].identifier } == ["setLimits", "reset"])
        #expect(s.services[s.offered(by: 0)[0]].actions.map(\.value) == [.constant(.int(1))])
        #expect(s.offered(by: 1) == [0])
    }

    @Test func theDocumentedExampleOffersItsServiceOnTheInverterOnly() throws {
        let text = try AgentConfigurationTests.documentedExample()
        let c = try AgentConfiguration.parse(Array(text.utf8), file: "CONFIG.md", checkDevicePaths: false)
        #expect(c.services.offered(by: 1).map { c.services.services[$0].identifier } == ["curtail"])
        #expect(c.services.offered(by: 0).isEmpty && c.services.offered(by: 2).isEmpty)
    }

    @Test func aConfigurationWithoutServicesHasNone() throws {
        let c = try AgentConfiguration.parse(Array(AgentConfigurationTests.minimal.utf8), file: "agent.json", checkDevicePaths: false)
        #expect(c.services.services.isEmpty)
        #expect(c.services.offered(by: 0).isEmpty)
    }

    @Test func eachMistakeIsReportedWithItsPathLineAndColumn() {
        let bad = """
            [{"id": "a", "inputs": [{"id": "x", "type": "integer"}, {"id": "unused", "type": "bool"}],
              "writes": [{"point": "nope", "input": "x"}]},
             {"id": "b", "writes": [{"point": "v", "value": 1}]},
             {"id": "c", "writes": [{"point": "lo", "input": "y"}]},
             {"id": "d", "writes": [{"point": "lo", "value": 500}]},
             {"id": "e", "writes": [{"point": "lo", "value": 1, "input": "x"}]},
             {"id": "f", "writes": [{"point": "lo"}]},
             {"id": "g", "writes": [{"point": "lo", "value": 1}], "output": []},
             {"id": "h/1", "writes": [{"point": "lo", "value": 1}]},
             {"id": "i", "inputs": [{"id": "s", "type": "string"}], "writes": [{"point": "lo", "input": "s"}]},
             {"id": "j", "writes": []},
             {"id": "k", "writes": [{"point": "lo", "value": 1}], "outputs": [{"id": "o", "point": "missing"}]},
             {"id": "ok", "writes": [{"point": "lo", "value": 1}]},
             {"id": "ok", "writes": [{"point": "hi", "value": 1}]}]
            """
        let e = AgentConfigurationTests.errors(Self.config(template: bad))
        func has(_ path: String, _ words: String) -> Bool {
            e.contains { $0.hasPrefix("agent.json: templates[0].services" + path + " (line ") && $0.contains(words) }
        }
        #expect(has("[0].writes[0].point", #"unknown point "nope" in template "t""#), "\(e)")
        #expect(has("[1].writes[0].point", #"point "v" is not writable"#), "\(e)")
        #expect(has("[2].writes[0].input", #"unknown input "y""#), "\(e)")
        #expect(has("[3].writes[0].value", #"point "lo" cannot take this value (outside the point's min/max)"#), "\(e)")
        #expect(has("[4].writes[0].value", #"give "input" or "value", not both"#), "\(e)")
        #expect(has("[5].writes[0]", #"give "input""#), "\(e)")
        #expect(has("[6].output", #"unknown key "output" (did you mean "outputs"?)"#), "\(e)")
        #expect(has("[7].id", "service id must not contain '/'"), "\(e)")
        #expect(has("[8].writes[0].input", #"input "s" is a string, point "lo" is a uint16"#), "\(e)")
        #expect(has("[9].writes", "expected 1 to 16 elements, found 0"), "\(e)")
        #expect(has("[10].outputs[0].point", #"unknown point "missing""#), "\(e)")
        #expect(has("[12].id", #"duplicate service id "ok" (also templates[0].services[11])"#), "\(e)")
        #expect(e.count == 12, "\(e)")
        // Line and column of the first: the "nope" value (line 7 of the document, 24th column).
        #expect(e.contains { $0.contains("services[0].writes[0].point (line 7, column 24)") }, "\(e)")
    }

    @Test func anInputNoWriteUsesIsRefused() {
        let e = AgentConfigurationTests.errors(Self.config(template: """
            [{"id": "a", "inputs": [{"id": "x", "type": "integer"}], "writes": [{"point": "lo", "value": 1}]}]
            """))
        #expect(e.count == 1 && e[0].contains("templates[0].services[0].inputs[0]") && e[0].contains(#"input "x" is not used by any write"#), "\(e)")
    }
}
