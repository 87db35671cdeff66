/// A decoded point value without heap storage: a bit, an unscaled integer, a scaled or float
/// value, or a short string.
public enum PointValue: Equatable, Sendable {
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(ShortString)

    /// The value as a number (bools as 0/1), or nil for strings.
    public var numeric: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .double(let v): return v
        case .string: return nil
        }
    }
}
