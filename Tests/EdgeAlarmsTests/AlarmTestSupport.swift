import EdgeAlarms
import EdgeCompute
import EdgeCore

/// A small plant for the alarm tests: named input slots, their values, qualities and sample
/// times, devices online or not, and an evaluator driven at times the test chooses.
struct AlarmPlant {
    static let names = ["TEMP", "W", "STATUS", "inverter2.TEMP", "HUM"]
    static func slot(_ name: String) -> Int? { names.firstIndex(of: name) }

    var evaluator: AlarmEvaluator
    var values = [Double](repeating: 0, count: names.count)
    var qualities = [InputQuality](repeating: .good, count: names.count)
    var times = [Int64](repeating: Int64.min, count: names.count)
    var online = [true, true]

    init(_ definitions: [AlarmDefinition]) throws(AlarmRuleError) {
        evaluator = AlarmEvaluator(rules: try AlarmPlant.compile(definitions))
    }

    static func compile(_ definitions: [AlarmDefinition]) throws(AlarmRuleError) -> AlarmRuleSet {
        var b = AlarmRuleSetBuilder()
        for d in definitions { try b.add(d, resolve: slot) }
        return b.finish()
    }

    /// Sets a point's value as a good sample taken at `time`.
    mutating func sample(_ name: String, _ value: Double, at time: Int64) {
        let s = AlarmPlant.slot(name)!
        values[s] = value
        qualities[s] = .good
        times[s] = time
    }

    mutating func bad(_ name: String) { qualities[AlarmPlant.slot(name)!] = .bad }

    func withInputs<R>(_ body: (AlarmInputs) -> R) -> R {
        values.withUnsafeBufferPointer { v in
            qualities.withUnsafeBufferPointer { q in
                times.withUnsafeBufferPointer { t in
                    online.withUnsafeBufferPointer { o in
                        body(AlarmInputs(values: v, qualities: q, times: t, online: o))
                    }
                }
            }
        }
    }

    /// Evaluates every rule at `time`; the transitions it caused.
    mutating func evaluate(at time: Int64) -> [AlarmTransition] {
        var out: [AlarmTransition] = []
        var e = evaluator
        withInputs { inputs in e.evaluate(at: WallTime(milliseconds: time), inputs: inputs) { out.append($0) } }
        evaluator = e
        return out
    }

    /// `sample` then `evaluate` at the same time.
    mutating func feed(_ name: String, _ value: Double, at time: Int64) -> [AlarmTransition] {
        sample(name, value, at: time)
        return evaluate(at: time)
    }

    func state(_ rule: Int = 0) -> AlarmState { evaluator.state(rule) }
}

func raise(_ time: Int64, rule: Int = 0) -> AlarmTransition { AlarmTransition(rule: rule, kind: .raise, timeMilliseconds: time) }
func clear(_ time: Int64, rule: Int = 0) -> AlarmTransition { AlarmTransition(rule: rule, kind: .clear, timeMilliseconds: time) }

/// The example: the inverter over temperature.
func overTemperature(_ id: String = "inv1-overtemp", device: Int = 0, onDelay: UInt32 = 10_000, offDelay: UInt32 = 30_000,
                     condition: AlarmConditionDefinition = .high(point: "TEMP", limit: 80, hysteresis: 5)) -> AlarmDefinition {
    AlarmDefinition(identifier: id, device: device, condition: condition, onDelayMilliseconds: onDelay,
                    offDelayMilliseconds: offDelay, level: .major, message: "Inverter temperature {TEMP} °C",
                    eventId: "overTemp",
                    outputs: [AlarmOutputDefinition("temp", .point("TEMP")), AlarmOutputDefinition("desc", .message),
                              AlarmOutputDefinition("level", .level), AlarmOutputDefinition("state", .state)])
}
