import EdgeCore
import EnOS
import Foundation
import Testing
import TestSupport

/// `thing.tsltemplate.get`: the request as the SDKs send it (topic, method, `params {}`), and the
/// model in its reply: measurepoints with their types (as the Java SDK sample's reply shape, and
/// the `{"type":…}` and `dataDefinition` forms), bad models refused whole with a reason in words,
/// the measurepoint cap, and no allocation while parsing.
@Suite struct TSLModelTests {
    func parse(_ json: String, limit: Int = 100) throws(EnOSTSLModelError) -> [(String, String?, EnOSTSLType)] {
        var out: [(String, String?, EnOSTSLType)] = []
        let bytes = Array(json.utf8)
        let failure: EnOSTSLModelError? = bytes.withUnsafeBytes { raw in
            do throws(EnOSTSLModelError) {
                try EnOSTSLModel.parse(raw, limit: limit) { m in out.append((m.identifier.string, m.typeName?.string, m.type)) }
                return nil
            } catch { return error }
        }
        if let failure { throw failure }
        return out
    }

    func reason(_ json: String, limit: Int = 100) -> EnOSTSLModelError.Reason? {
        do throws(EnOSTSLModelError) { _ = try parse(json, limit: limit) } catch { return error.reason }
        return nil
    }

    @Test func requestIsTheSDKsOnTheDevicesOwnTopic() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        var w = JSONWriter(buffer: buffer)
        try EnOSRequestEncoder.tslTemplateGet(&w, id: 7)
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"id":"7","version":"1.0","method":"thing.tsltemplate.get","params":{}}"#)
        let n = try #require(EnOSTopic.request(.tslTemplateGet, productKey: "subPK", deviceKey: "m1", into: buffer))
        #expect(String(decoding: UnsafeRawBufferPointer(rebasing: buffer[0..<n]), as: UTF8.self) == "/sys/subPK/m1/thing/tsltemplate/get")
    }

    @Test func measurepointsAndTheirTypesAreRead() throws {
        let model = """
        {"tslModelId":"m","tslAttributeMap":{"a":{"dataType":"STRING"}},
         "tslMeasurepointMap":{
           "power":{"identifier":"power","dataType":"DOUBLE","unit":{"unitId":"kW"},"hasQuality":false},
           "state":{"dataType":{"type":"enum","specs":{"0":"off"}}},
           "name":{"dataDefinition":{"dataType":"STRING","maxLength":64}},
           "pos":{"dataType":"ARRAY"},
           "misc":{"identifier":"misc"},
           "odd":{"dataType":"QUATERNION"}},
         "tslServiceMap":{},"tslEventMap":{},"inheritedMeasurepointIds":[]}
        """
        let points = try parse(model)
        #expect(points.map(\.0) == ["power", "state", "name", "pos", "misc", "odd"])
        #expect(points.map(\.2) == [.number, .integer, .text, .structured, .unspecified, .unspecified])
        #expect(points[0].1 == "DOUBLE" && points[1].1 == "enum" && points[4].1 == nil)
        #expect(try parse(#"{"tslMeasurepointMap":{}}"#).isEmpty)
    }

    @Test func badModelsAreRefusedWholeWithTheReason() {
        #expect(reason("") == .notAnObject)
        #expect(reason("[]") == .notAnObject)
        #expect(reason(#"{"tslAttributeMap":{}}"#) == .noMeasurepointMap)
        #expect(reason(#"{"tslMeasurepointMap":[]}"#) == .measurepointMapNotAnObject)
        #expect(reason(#"{"tslMeasurepointMap":{"a":{"dataType":"INT"},"b":3}}"#) == .definitionNotAnObject(position: 1))
        #expect(reason(#"{"tslMeasurepointMap":{"a":{"dataType":7}}}"#) == .badDataType(position: 0))
        #expect(reason(#"{"tslMeasurepointMap":{"a":{"dataType":{"specs":{}}}}}"#) == .badDataType(position: 0))
        if case .malformedJSON = reason(#"{"tslMeasurepointMap":{"a":{"dataType":"INT"}"#) {} else { Issue.record("truncated model taken") }
        #expect(reason(#"{"tslMeasurepointMap":{"a":{},"b":{},"c":{}}}"#, limit: 2) == .tooManyMeasurepoints(limit: 2))
        // Nothing handed out before the error.
        var seen = 0
        let bytes = Array(#"{"tslMeasurepointMap":{"a":{"dataType":"INT"},"b":3}}"#.utf8)
        bytes.withUnsafeBytes { raw in _ = try? EnOSTSLModel.parse(raw, limit: 10) { _ in seen += 1 } }
        #expect(seen == 0)
        #expect(EnOSTSLModelError(.noMeasurepointMap).description == "the reply's data has no tslMeasurepointMap")
    }

    @Test func parsingAModelAllocatesNothing() {
        let model = Array(#"{"tslModelId":"m","tslMeasurepointMap":{"power":{"dataType":"DOUBLE","unit":{"unitId":"kW"}},"state":{"dataType":{"type":"enum"}},"name":{"dataDefinition":{"dataType":"STRING"}}},"tslServiceMap":{"s":{"inputData":[{"identifier":"x"}]}}}"#.utf8)
        var numbers = 0
        model.withUnsafeBytes { raw in
            _ = try? EnOSTSLModel.parse(raw, limit: 16) { _ in }
            let counted = AllocationCounter.count {
                for _ in 0..<20 {
                    _ = try? EnOSTSLModel.parse(raw, limit: 16) { m in if m.type == .number && m.identifier.equals("power") { numbers += 1 } }
                }
            }
            #expect(counted.allocations == 0, "\(counted)")
        }
        #expect(numbers == 20)
    }
}
