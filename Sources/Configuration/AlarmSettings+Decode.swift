import EdgeAlarms
import EdgeCore
import FieldBus

extension AlarmSettings {
    static let ruleKeys = ["id", "device", "condition", "high", "low", "rateOfChange", "stateChange", "stale", "offline",
                           "onDelayMs", "offDelayMs", "level", "message", "eventId", "outputs"]
    static let conditionKeys = ["condition", "high", "low", "rateOfChange", "stateChange", "stale", "offline"]
    static let outputKeys = ["id", "point", "value"]
    static let outputValues = ["message", "level", "state", "rule"]

    /// Decodes the root's `alarms` array against the decoded field bus, recording every problem
    /// in `v` with its path, line and column (a formula's or template's column inside the text in
    /// the message). Start-up only (allocates).
    static func decode(_ root: ConfigObject, _ v: inout ConfigValidator, fieldBus: FieldBusConfiguration) -> AlarmSettings? {
        var slotBase: [Int] = []
        var slotCount = 0
        for d in fieldBus.devices {
            slotBase.append(slotCount)
            slotCount += fieldBus.templates[d.template].points.count
        }
        guard let list = v.array(in: root, "alarms", required: false) else {
            return root.member("alarms") == nil ? AlarmSettings(slotBase: slotBase, slotCount: slotCount) : nil
        }
        let before = v.errors.count
        var builder = AlarmRuleSetBuilder()
        for (i, element) in list.enumerated() {
            let path = root.path.key("alarms").index(i)
            guard let o = v.object(element, at: path, allowedKeys: ruleKeys) else { continue }
            decodeRule(o, &v, fieldBus: fieldBus, slotBase: slotBase, into: &builder)
        }
        guard v.errors.count == before else { return nil }
        return AlarmSettings(rules: builder.finish(), slotBase: slotBase, slotCount: slotCount)
    }

    static func decodeRule(_ o: ConfigObject, _ v: inout ConfigValidator, fieldBus: FieldBusConfiguration,
                           slotBase: [Int], into builder: inout AlarmRuleSetBuilder) {
        let before = v.errors.count
        let id = v.string(in: o, "id")
        var device: Int? = nil
        if let name = v.string(in: o, "device") {
            device = fieldBus.devices.firstIndex { $0.name == name }
            if device == nil { v.report("unknown device \"\(name)\"", at: o.path.key("device"), o.member("device")?.value.location) }
        }
        // Exactly one condition.
        let present = conditionKeys.filter { o.member($0) != nil }
        if present.count != 1 {
            v.report(present.isEmpty ? "missing condition: one of \"condition\", \"high\", \"low\", \"rateOfChange\", \"stateChange\", \"stale\", \"offline\""
                     : "more than one condition: " + present.joined(separator: ", "), at: o.path, o.location)
        }
        var condition: AlarmConditionDefinition? = nil
        let conditionKey = present.first ?? "condition"
        if present.count == 1 { condition = decodeCondition(conditionKey, o, &v) }
        let onDelay = v.integer(in: o, "onDelayMs", required: false, range: 0...Int64(AlarmRuleSetBuilder.maximumDelayMilliseconds)) ?? 0
        let offDelay = v.integer(in: o, "offDelayMs", required: false, range: 0...Int64(AlarmRuleSetBuilder.maximumDelayMilliseconds)) ?? 0
        let level = v.choice(in: o, "level", required: false, AlarmLevel.names).flatMap { AlarmLevel(name: $0) } ?? .warning
        let message = v.string(in: o, "message", required: false) ?? ""
        let eventId = v.string(in: o, "eventId")
        var outputs: [AlarmOutputDefinition] = []
        for (k, element) in (v.array(in: o, "outputs", required: false) ?? []).enumerated() {
            let opath = o.path.key("outputs").index(k)
            guard let oo = v.object(element, at: opath, allowedKeys: outputKeys) else { continue }
            let oid = v.string(in: oo, "id")
            let hasPoint = oo.member("point") != nil, hasValue = oo.member("value") != nil
            if hasPoint == hasValue {
                v.report("an output has either \"point\" or \"value\"", at: opath, oo.location)
                continue
            }
            var source: AlarmOutputSource? = nil
            if hasPoint {
                source = v.string(in: oo, "point").map { .point($0) }
            } else if let s = v.choice(in: oo, "value", outputValues) {
                source = s == "message" ? .message : s == "level" ? .level : s == "state" ? .state : .rule
            }
            if let oid, let source { outputs.append(AlarmOutputDefinition(oid, source)) }
        }
        guard v.errors.count == before, let id, let device, let condition, let eventId else { return }
        let definition = AlarmDefinition(identifier: id, device: device, condition: condition,
                                         onDelayMilliseconds: UInt32(onDelay), offDelayMilliseconds: UInt32(offDelay),
                                         level: level, message: message, eventId: eventId, outputs: outputs)
        let resolve = { (name: String) -> Int? in resolvePoint(name, device: device, fieldBus: fieldBus, slotBase: slotBase) }
        do throws(AlarmRuleError) {
            try builder.add(definition, resolve: resolve)
        } catch {
            let (path, location) = place(of: error.field, in: o, conditionKey: conditionKey)
            v.report(error.description, at: path, location)
        }
    }

    static func decodeCondition(_ key: String, _ o: ConfigObject, _ v: inout ConfigValidator) -> AlarmConditionDefinition? {
        switch key {
        case "condition":
            return v.string(in: o, "condition").map { .expression($0) }
        case "high", "low":
            guard let c = v.object(in: o, key, allowedKeys: ["point", "limit", "hysteresis"]) else { return nil }
            let point = v.string(in: c, "point")
            let limit = v.double(in: c, "limit")
            let hysteresis = v.double(in: c, "hysteresis", required: false, range: 0...Double.greatestFiniteMagnitude) ?? 0
            guard let point, let limit else { return nil }
            return key == "high" ? .high(point: point, limit: limit, hysteresis: hysteresis) : .low(point: point, limit: limit, hysteresis: hysteresis)
        case "rateOfChange":
            guard let c = v.object(in: o, key, allowedKeys: ["point", "perSecond"]) else { return nil }
            let point = v.string(in: c, "point")
            let rate = v.double(in: c, "perSecond", range: Double.leastNonzeroMagnitude...Double.greatestFiniteMagnitude)
            guard let point, let rate else { return nil }
            return .rateOfChange(point: point, perSecond: rate)
        case "stateChange":
            guard let c = v.object(in: o, key, allowedKeys: ["point"]), let point = v.string(in: c, "point") else { return nil }
            return .stateChange(point: point)
        case "stale":
            guard let c = v.object(in: o, key, allowedKeys: ["point", "afterMs"]) else { return nil }
            let point = v.string(in: c, "point")
            let after = v.integer(in: c, "afterMs", range: 1...Int64(AlarmRuleSetBuilder.maximumDelayMilliseconds))
            guard let point, let after else { return nil }
            return .stale(point: point, afterMilliseconds: UInt32(after))
        default:  // "offline"
            guard let flag = v.bool(in: o, "offline") else { return nil }
            if !flag {
                v.report("\"offline\" is the condition \"the device is offline\": write true or leave it out",
                         at: o.path.key("offline"), o.member("offline")?.value.location)
                return nil
            }
            return .offline
        }
    }

    /// The slot of `name` as a rule of `device` writes it: a point of that device, or
    /// `device.point` of another.
    static func resolvePoint(_ name: String, device: Int, fieldBus: FieldBusConfiguration, slotBase: [Int]) -> Int? {
        func slot(_ d: Int, _ point: Substring) -> Int? {
            fieldBus.templates[fieldBus.devices[d].template].points.firstIndex { $0.identifier == point }.map { slotBase[d] + $0 }
        }
        if let s = slot(device, name[...]) { return s }
        guard let dot = name.firstIndex(of: ".") else { return nil }
        let deviceName = name[..<dot]
        guard let d = fieldBus.devices.firstIndex(where: { $0.name == deviceName }) else { return nil }
        return slot(d, name[name.index(after: dot)...])
    }

    /// Where in the rule's object a compile error belongs.
    static func place(of field: AlarmRuleError.Field, in o: ConfigObject, conditionKey: String) -> (JSONPath, JSONLocation?) {
        switch field {
        case .identifier: return (o.path.key("id"), o.member("id")?.value.location)
        case .eventId: return (o.path.key("eventId"), o.member("eventId")?.value.location)
        case .message: return (o.path.key("message"), o.member("message")?.value.location)
        case .condition: return (o.path.key(conditionKey), o.member(conditionKey)?.value.location)
        case .output(let k):
            let element = o.member("outputs")?.value.arrayElements.flatMap { k < $0.count ? $0[k] : nil }
            return (o.path.key("outputs").index(k), element?.location)
        }
    }
}
