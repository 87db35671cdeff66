import EdgeCompute
import EdgeCore

/// The configuration of derived points (`"formula"`), scale-factor references (`"scale": "@W_SF"`),
/// report-by-exception (`deadband`, `deadbandPercent`, `minReportMs`, `maxReportMs`) and virtual
/// devices (`"type": "virtual"`). Every formula is compiled here at load, so a refused one names
/// the file, the JSON path, the line and column of the formula and the column inside it.
extension FieldBusConfiguration {
    static let reportKeys = ["deadband", "deadbandPercent", "minReportMs", "maxReportMs"]
    static let derivedPointKeys = ["id", "formula"] + reportKeys + windowKeys
    static let virtualDeviceKeys = ["name", "type", "points", "productKey", "deviceKey"]

    /// A point's report-by-exception settings; nil (and reported) when one is wrong.
    static func decodeReport(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator) -> ReportFilterSettings? {
        let before = v.errors.count
        let deadband = v.double(in: o, "deadband", required: false, range: 0...Double.greatestFiniteMagnitude) ?? 0
        let percent = v.double(in: o, "deadbandPercent", required: false, range: 0...1_000_000) ?? 0
        if let m = o.member("deadband"), o.member("deadbandPercent") != nil {
            v.report("give deadband or deadbandPercent, not both", at: path.key("deadband"), m.keyLocation)
        }
        let minimum = v.integer(in: o, "minReportMs", required: false, range: 0...86_400_000) ?? 0
        let maximum = v.integer(in: o, "maxReportMs", required: false, range: 0...86_400_000) ?? 0
        if maximum > 0, maximum < minimum, let m = o.member("maxReportMs") {
            v.report("maxReportMs (\(maximum)) is below minReportMs (\(minimum)): the heartbeat could never be sent",
                     at: path.key("maxReportMs"), m.value.location)
        }
        guard v.errors.count == before else { return nil }
        return ReportFilterSettings(deadband: deadband, deadbandPercent: percent, minReportMs: minimum, maxReportMs: maximum)
    }

    /// `"scale": "@W_SF"`: the id of the scale-factor point, or nil when `scale` is not a string
    /// (a number is the `scale` of `decodePoint`). Whether the point exists is checked with the
    /// template (`checkTemplateFormulas`).
    static func decodeScaleReference(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator, numeric: Bool) -> String? {
        guard let m = o.member("scale"), let text = m.value.stringValue else { return nil }
        guard text.utf8.count > 1, text.utf8.first == UInt8(ascii: "@") else {
            v.report("scale is a number or \"@POINT\" (a scale-factor point of the same device, e.g. \"@W_SF\"), not " + m.value.summary,
                     at: path.key("scale"), m.value.location)
            return ""
        }
        if !numeric {
            v.report("a string point cannot be scaled", at: path.key("scale"), m.value.location)
        }
        return String(decoding: text.utf8.dropFirst(), as: UTF8.self)
    }

    /// A derived point: `id`, `formula`, the report settings and its window, nothing to poll.
    static func decodeDerivedPoint(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator) -> PointDefinition? {
        let before = v.errors.count
        for m in o.members where !derivedPointKeys.contains(m.key) && pointKeys.contains(m.key) {
            v.report("\"\(m.key)\" does not apply to a derived point (one with a formula): it is computed, not polled",
                     at: path.key(m.key), m.keyLocation)
        }
        let id = v.string(in: o, "id")
        let formula = v.string(in: o, "formula")
        let report = decodeReport(o, at: path, &v)
        let window = decodeWindow(o, at: path, &v)
        guard v.errors.count == before, let id, let formula, let report, let window else { return nil }
        return .derived(identifier: id, formula: formula, report: report, window: window)
    }

    /// Compiles a template's formulas over its own points and checks its scale references:
    /// unknown references, formulas too long or in a circle are reported at the formula.
    static func checkTemplateFormulas(_ points: [PointDefinition], paths: [JSONPath], elements: [JSONValue],
                                      _ v: inout ConfigValidator) {
        var programs: [FormulaProgram] = []
        var owners: [Int] = []
        for (p, point) in points.enumerated() {
            if let target = point.scalePoint, !target.isEmpty {
                let location = elements[p]["scale"]?.location
                if let t = points.firstIndex(where: { $0.identifier == target }) {
                    if t == p {
                        v.report("a point cannot be its own scale factor", at: paths[p].key("scale"), location)
                    } else if points[t].isDerived || points[t].dataType.isString {
                        v.report("scale factor \"\(target)\" must be a polled number point", at: paths[p].key("scale"), location)
                    }
                } else {
                    v.report("scale factor \"\(target)\" is no point of this template", at: paths[p].key("scale"), location)
                }
            }
            guard let formula = point.formula else { continue }
            do throws(FormulaError) {
                programs.append(try FormulaCompiler.compile(formula) { name in points.firstIndex { $0.identifier == name } })
                owners.append(p)
            } catch {
                reportFormula(error, at: paths[p], elements[p], &v)
            }
        }
        do throws(FormulaError) {
            _ = try FormulaDependencies.evaluationOrder(programs: programs, outputs: owners,
                                                        names: owners.map { points[$0].identifier })
        } catch {
            let p = owners[error.formula ?? 0]
            reportFormula(error, at: paths[p], elements[p], &v)
        }
    }

    /// A virtual device: a name, its cloud identity and its own derived points (over
    /// `device.point` of other devices and its own points); no bus, no unit, no template.
    static func decodeVirtualDevice(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator, template: Int,
                                    into templates: inout [DeviceTemplate]) -> DeviceDefinition? {
        guard let o = v.object(value, at: path, allowedKeys: virtualDeviceKeys) else { return nil }
        let before = v.errors.count
        let name = v.string(in: o, "name")
        let productKey = v.string(in: o, "productKey", required: false)
        let deviceKey = v.string(in: o, "deviceKey", required: false)
        if (productKey == nil) != (deviceKey == nil) {
            v.report("give both productKey and deviceKey, or neither", at: path, o.location)
        }
        var points: [PointDefinition] = []
        if let list = v.array(in: o, "points", required: true) {
            if list.isEmpty { v.report("a virtual device needs at least one point", at: path.key("points"), o.member("points")?.value.location) }
            for (i, element) in list.enumerated() {
                let ppath = path.key("points").index(i)
                guard let p = v.object(element, at: ppath, allowedKeys: derivedPointKeys) else { continue }
                if p.member("formula") == nil {
                    v.report("missing required key \"formula\": every point of a virtual device is derived", at: ppath, element.location)
                    continue
                }
                guard let point = decodeDerivedPoint(p, at: ppath, &v) else { continue }
                if points.contains(where: { $0.identifier == point.identifier }) {
                    v.report("duplicate point id \"\(point.identifier)\"", at: ppath.key("id"), element["id"]?.location)
                }
                points.append(point)
            }
        }
        guard v.errors.count == before, let name else { return nil }
        templates.append(DeviceTemplate(name: name, points: points))
        var cloud: CloudIdentity? = nil
        if let productKey, let deviceKey { cloud = CloudIdentity(productKey: productKey, deviceKey: deviceKey) }
        return DeviceDefinition(name: name, template: template, unitId: 0, bus: -1, cloud: cloud)
    }

    /// Compiles every formula of the whole configuration (`ComputePlan.build`): the references of
    /// virtual devices to other devices, and circles through several devices.
    static func checkFormulas(_ configuration: FieldBusConfiguration, _ v: inout ConfigValidator, devicePaths: [JSONPath],
                              virtualElements: [(device: Int, element: JSONValue)]) {
        do throws(ComputePlan.Failure) {
            _ = try ComputePlan.build(configuration)
        } catch {
            let d = error.device
            if let virtual = virtualElements.first(where: { $0.device == d }),
               let element = virtual.element["points"]?.arrayElements?[error.point] {
                reportFormula(error.error, at: devicePaths[d].key("points").index(error.point), element, &v)
            } else {
                let point = configuration.templates[configuration.devices[d].template].points[error.point].identifier
                v.report("formula of point \"\(point)\": " + error.error.description, at: devicePaths[d], nil)
            }
        }
    }

    static func reportFormula(_ error: FormulaError, at path: JSONPath, _ element: JSONValue, _ v: inout ConfigValidator) {
        v.report("formula refused at column \(error.column) of the formula: " + error.message,
                 at: path.key("formula"), element["formula"]?.location)
    }
}
