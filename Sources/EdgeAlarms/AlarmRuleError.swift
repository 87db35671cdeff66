import EdgeCompute

/// Why a rule was refused when it was compiled: which part of the definition, the 1-based column
/// inside that text when there is one (a formula, a message template), and what is wrong. The
/// configuration reports it at the JSON path and line of that part.
public struct AlarmRuleError: Error, Equatable, CustomStringConvertible {
    /// The part of the definition the problem is in.
    public enum Field: Equatable, Sendable {
        case identifier
        case condition
        case message
        case eventId
        case output(Int)
    }

    public var field: Field
    public var column: Int?
    public var message: String

    public init(_ field: Field, column: Int? = nil, _ message: String) {
        self.field = field
        self.column = column
        self.message = message
    }

    public var description: String { (column.map { "column \($0): " } ?? "") + message }
}
