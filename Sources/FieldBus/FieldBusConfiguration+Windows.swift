import EdgeCompute
import EdgeCore

/// The configuration of window operators: a derived point with `"window": "5m"` and
/// `"aggregate": "avg"` is published once per window. A polled point has no window: its live
/// value stays as it is and a derived point (`"formula": "W"`) carries the aggregate, under its
/// own id (and its own cloud model point).
extension FieldBusConfiguration {
    static let windowKeys = ["window", "aggregate"]
    /// The longest window: its state does not grow with its length, but a day is the longest
    /// length that still closes at the same wall-clock times every day.
    static let longestWindowMs: Int64 = 86_400_000

    /// `window` and `aggregate` of a derived point: nil without them, `.none` (and reported) when
    /// one is wrong.
    static func decodeWindow(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator) -> PointWindow?? {
        let windowMember = o.member("window")
        let aggregateMember = o.member("aggregate")
        if windowMember == nil && aggregateMember == nil { return .some(nil) }
        let before = v.errors.count
        if windowMember == nil, let a = aggregateMember {
            v.report("\"aggregate\" needs a \"window\" (e.g. \"window\": \"5m\")", at: path.key("aggregate"), a.keyLocation)
        }
        if aggregateMember == nil, let w = windowMember {
            v.report("\"window\" needs an \"aggregate\": one of " + PointWindow.aggregateNames.joined(separator: ", "),
                     at: path.key("window"), w.keyLocation)
        }
        let name = aggregateMember == nil ? nil : v.choice(in: o, "aggregate", PointWindow.aggregateNames)
        var length: Int64? = nil
        if let w = windowMember, let text = v.string(in: o, "window") {
            do throws(FormulaError) {
                let ms = try WindowLength.milliseconds(text)
                if ms > longestWindowMs {
                    v.report("window \"\(text)\" is longer than a day", at: path.key("window"), w.value.location)
                } else if longestWindowMs % ms != 0 {
                    v.report("window \"\(text)\" does not divide a day: windows would not start at the same times every day (take e.g. 1m, 5m, 15m, 1h)",
                             at: path.key("window"), w.value.location)
                } else {
                    length = ms
                }
            } catch {
                v.report(error.message, at: path.key("window"), w.value.location)
            }
        }
        guard v.errors.count == before, let name, let operation = PointWindow.operation(named: name), let length else { return .none }
        return .some(PointWindow(operation: operation, lengthMs: length))
    }

    /// A polled point has no window; says what to write instead.
    static func refuseWindowOnPolledPoint(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator) {
        for key in windowKeys {
            guard let m = o.member(key) else { continue }
            v.report("\"\(key)\" applies to a derived point: keep this point live and add one that aggregates it, e.g. {\"id\": \"W_avg\", \"formula\": \"W\", \"window\": \"5m\", \"aggregate\": \"avg\"}",
                     at: path.key(key), m.keyLocation)
            return
        }
    }
}
