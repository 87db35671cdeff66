import EdgeCompute

/// The window of a derived point (`"window": "5m"`, `"aggregate": "avg"`): its formula's results
/// are reduced over tumbling windows aligned to wall-clock boundaries, and the point is published
/// once per window, when the window closes, stamped with the window's start.
public struct PointWindow: Equatable, Sendable {
    /// The reduction; `delta` and `rate` carry the counter width when the formula is a plain
    /// unsigned, unscaled counter point (set by `ComputePlan.build`, 0 in the configuration).
    public var operation: WindowOperator
    /// Length in milliseconds; divides a day, at most a day.
    public var lengthMs: Int64

    public init(operation: WindowOperator, lengthMs: Int64) {
        self.operation = operation
        self.lengthMs = lengthMs
    }

    /// The `aggregate` names, as the configuration writes them.
    public static let aggregateNames = ["avg", "min", "max", "sum", "first", "last", "delta", "rate", "integral"]

    /// The operator named `name` (one of `aggregateNames`), counters not yet known.
    public static func operation(named name: String) -> WindowOperator? {
        switch name {
        case "avg": return .average
        case "min": return .minimum
        case "max": return .maximum
        case "sum": return .sum
        case "first": return .first
        case "last": return .last
        case "delta": return .delta(counterBits: 0)
        case "rate": return .rate(counterBits: 0)
        case "integral": return .integral
        default: return nil
        }
    }
}
