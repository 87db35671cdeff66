import EdgeCore
import FieldBus

extension ServiceCatalog {
    static let serviceKeys = ["id", "inputs", "writes", "outputs"]
    static let inputKeys = ["id", "type"]
    static let writeKeys = ["point", "input", "value", "readBack"]
    static let outputKeys = ["id", "point"]
    static let typeNames = ["integer", "number", "bool", "string"]

    /// Decodes the `services` lists of `templates[i]` and `devices[i]` in `root` against the
    /// decoded field bus (templates and devices in the same order as in the document), recording
    /// every problem in `v` at its path, line and column. Start-up only (allocates).
    static func decode(_ root: ConfigObject, _ v: inout ConfigValidator, fieldBus: FieldBusConfiguration) -> ServiceCatalog? {
        let before = v.errors.count
        var services: [ServiceDefinition] = []
        var templateServices: [[Int]] = []
        let templateElements = root.member("templates")?.value.arrayElements ?? []
        for (t, template) in fieldBus.templates.enumerated() {
            var list: [Int] = []
            if t < templateElements.count, let value = templateElements[t]["services"] {
                let path = root.path.key("templates").index(t).key("services")
                for s in decodeList(value, at: path, &v, template: template) {
                    list.append(services.count)
                    services.append(s)
                }
            }
            templateServices.append(list)
        }
        var deviceServices: [[Int]] = []
        let deviceElements = root.member("devices")?.value.arrayElements ?? []
        for (d, device) in fieldBus.devices.enumerated() {
            var list = templateServices[device.template]
            if d < deviceElements.count, let value = deviceElements[d]["services"] {
                let path = root.path.key("devices").index(d).key("services")
                for s in decodeList(value, at: path, &v, template: fieldBus.templates[device.template]) {
                    // The device's own replaces its template's of the same identifier.
                    list.removeAll { services[$0].identifier == s.identifier }
                    list.append(services.count)
                    services.append(s)
                }
            }
            deviceServices.append(list)
        }
        guard v.errors.count == before else { return nil }
        return ServiceCatalog(services: services, deviceServices: deviceServices)
    }

    /// One `services` array; the services without a problem (duplicates reported).
    static func decodeList(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator,
                           template: DeviceTemplate) -> [ServiceDefinition] {
        guard let elements = v.array(value, at: path) else { return [] }
        var result: [ServiceDefinition] = []
        var paths: [JSONPath] = []
        for (i, element) in elements.enumerated() {
            let spath = path.index(i)
            guard let s = decodeService(element, at: spath, &v, template: template) else { continue }
            if let first = result.firstIndex(where: { $0.identifier == s.identifier }) {
                v.report("duplicate service id \"\(s.identifier)\" (also \(paths[first].text))", at: spath.key("id"), element["id"]?.location)
                continue
            }
            result.append(s)
            paths.append(spath)
        }
        return result
    }

    static func decodeService(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator,
                              template: DeviceTemplate) -> ServiceDefinition? {
        guard let o = v.object(value, at: path, allowedKeys: serviceKeys) else { return nil }
        let before = v.errors.count
        let identifier = v.string(in: o, "id")
        if let identifier, let problem = identifierProblem(identifier) {
            v.report(problem, at: path.key("id"), o.member("id")?.value.location)
        }
        let limit = 0...ServiceDefinition.capacity
        var inputs: [ServiceInput] = []
        for (i, element) in (v.array(in: o, "inputs", required: false, count: limit) ?? []).enumerated() {
            let ipath = path.key("inputs").index(i)
            guard let io = v.object(element, at: ipath, allowedKeys: inputKeys) else { continue }
            let id = v.string(in: io, "id")
            let typeName = v.choice(in: io, "type", typeNames)
            guard let id, let typeName else { continue }
            if inputs.contains(where: { $0.identifier == id }) {
                v.report("duplicate input id \"\(id)\"", at: ipath.key("id"), io.member("id")?.value.location)
                continue
            }
            let type: ServiceParameterType = typeName == "integer" ? .integer : typeName == "number" ? .number
                : typeName == "bool" ? .bool : .string
            inputs.append(ServiceInput(identifier: id, type: type))
        }
        var actions: [ServiceAction] = []
        var used = [Bool](repeating: false, count: inputs.count)
        if let list = v.array(in: o, "writes", count: 1...ServiceDefinition.capacity) {
            for (i, element) in list.enumerated() {
                if let a = decodeWrite(element, at: path.key("writes").index(i), &v, template: template, inputs: inputs) {
                    if case .input(let k) = a.value { used[k] = true }
                    actions.append(a)
                }
            }
        }
        for (k, input) in inputs.enumerated() where !used[k] && v.errors.count == before {
            v.report("input \"\(input.identifier)\" is not used by any write", at: path.key("inputs").index(k), nil)
        }
        var outputs: [ServiceOutput] = []
        for (i, element) in (v.array(in: o, "outputs", required: false, count: limit) ?? []).enumerated() {
            let opath = path.key("outputs").index(i)
            guard let oo = v.object(element, at: opath, allowedKeys: outputKeys) else { continue }
            let id = v.string(in: oo, "id")
            let point = v.string(in: oo, "point").flatMap { pointIndex($0, in: template, at: opath.key("point"), oo.member("point")?.value, &v) }
            guard let id, let point else { continue }
            if outputs.contains(where: { $0.identifier == id }) {
                v.report("duplicate output id \"\(id)\"", at: opath.key("id"), oo.member("id")?.value.location)
                continue
            }
            outputs.append(ServiceOutput(identifier: id, point: point))
        }
        guard v.errors.count == before, let identifier else { return nil }
        return ServiceDefinition(identifier: identifier, inputs: inputs, actions: actions, outputs: outputs)
    }

    static func decodeWrite(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator, template: DeviceTemplate,
                            inputs: [ServiceInput]) -> ServiceAction? {
        guard let o = v.object(value, at: path, allowedKeys: writeKeys) else { return nil }
        let before = v.errors.count
        let point = v.string(in: o, "point").flatMap { pointIndex($0, in: template, at: path.key("point"), o.member("point")?.value, &v) }
        let readBack = v.bool(in: o, "readBack", required: false) ?? false
        if let point, !template.points[point].writable {
            v.report("point \"\(template.points[point].identifier)\" is not writable (set \"writable\": true on it)",
                     at: path.key("point"), o.member("point")?.value.location)
        }
        let inputMember = o.member("input"), valueMember = o.member("value")
        var source: ServiceValueSource? = nil
        var inputIdentifier: String? = nil
        switch (inputMember, valueMember) {
        case (nil, nil):
            v.report("give \"input\" (an input parameter's id) or \"value\" (a constant)", at: path, o.location)
        case (.some, .some):
            v.report("give \"input\" or \"value\", not both", at: path.key("value"), valueMember?.keyLocation)
        case (.some(let m), nil):
            guard let name = v.string(m.value, at: path.key("input")) else { break }
            guard let k = inputs.firstIndex(where: { $0.identifier == name }) else {
                v.report("unknown input \"\(name)\"" + known(inputs.map { $0.identifier }), at: path.key("input"), m.value.location)
                break
            }
            if let point, (inputs[k].type == .string) != template.points[point].dataType.isString {
                v.report("input \"\(name)\" is a \(inputs[k].type.name), point \"\(template.points[point].identifier)\" is a \(template.points[point].dataType.name)",
                         at: path.key("input"), m.value.location)
            }
            source = .input(k)
            inputIdentifier = name
        case (nil, .some(let m)):
            guard let constant = constantValue(m.value) else {
                v.report("expected a number, a boolean or a string, found " + m.value.summary, at: path.key("value"), m.value.location)
                break
            }
            if let point, template.points[point].writable {   // a point not writable is reported above
                do throws(EncodeError) {
                    try PointCodec.checkWrite(constant, for: template.points[point])
                    source = .constant(constant)
                } catch {
                    v.report("point \"\(template.points[point].identifier)\" cannot take this value (\(ControlRefusal.words(error)))",
                             at: path.key("value"), m.value.location)
                }
            }
        }
        guard v.errors.count == before, let point, let source else { return nil }
        return ServiceAction(point: point, pointIdentifier: template.points[point].identifier, value: source,
                             readBack: readBack, inputIdentifier: inputIdentifier)
    }

    static func pointIndex(_ name: String, in template: DeviceTemplate, at path: JSONPath, _ value: JSONValue?,
                           _ v: inout ConfigValidator) -> Int? {
        if let p = template.pointIndex(named: name) { return p }
        v.report("unknown point \"\(name)\" in template \"\(template.name)\"", at: path, value?.location)
        return nil
    }

    static func constantValue(_ value: JSONValue) -> PointValue? {
        if let b = value.boolValue { return .bool(b) }
        if let s = value.stringValue, s.utf8.count <= ShortString.capacity { return .string(ShortString(s)) }
        if let n = value.numberValue {
            if let i = n.int64 { return .int(i) }
            if let d = n.double, d.isFinite { return .double(d) }
        }
        return nil
    }

    /// Why a service id cannot be used: empty, longer than a reply topic carries, or holding a
    /// character that cannot appear in one MQTT topic level.
    static func identifierProblem(_ id: String) -> String? {
        if id.utf8.count > 64 { return "service id is longer than 64 bytes" }
        for b in id.utf8 where b == UInt8(ascii: "/") || b == UInt8(ascii: "+") || b == UInt8(ascii: "#") || b < 0x21 {
            return "service id must not contain '/', '+', '#', spaces or control characters"
        }
        return nil
    }

    static func known(_ names: [String]) -> String {
        guard !names.isEmpty else { return " (no inputs are declared)" }
        var text = " (declared: "
        for (i, n) in names.enumerated() {
            if i > 0 { text += ", " }
            text += n
        }
        return text + ")"
    }
}

/// Words for a value the bus would not write (`PointCodec.checkWrite`), for configuration errors.
enum ControlRefusal {
    static func words(_ error: EncodeError) -> String {
        switch error {
        case .outOfAllowedRange: return "outside the point's min/max"
        case .outOfTypeRange: return "outside the point's type"
        case .notWritable: return "not writable"
        default: return "wrong type"
        }
    }
}
