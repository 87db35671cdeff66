/// Why a formula was refused at compile time, with the 1-based column inside the formula text
/// where the problem starts. `description` reads `column 7: unknown reference "W_SF"`; the agent
/// prefixes it with the file, the JSON path and the line of the formula string.
public struct FormulaError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, as a value tests and callers can match on.
    public enum Kind: Equatable, Sendable {
        /// A character that starts no token (`$`, a lone `=`).
        case unexpectedCharacter
        /// A number that does not read (`1e`, `0x`, digits running into letters).
        case malformedNumber
        /// The text ended or a token came where the grammar needs something else.
        case syntax
        /// A name the resolver does not know as a point.
        case unknownReference
        /// A name followed by `(` that is no function of the language.
        case unknownFunction
        /// A function called with a number of arguments it does not take.
        case wrongArity
        /// More instructions than `FormulaLimits.maxInstructions`.
        case programTooLong
        /// More intermediate values than the evaluator's stack holds.
        case tooDeep
        /// Formulas of one set that depend on each other in a circle.
        case cycle
        /// An empty formula.
        case empty
    }

    public var kind: Kind
    /// 1-based column (byte offset + 1) in the formula text.
    public var column: Int
    public var message: String
    /// For errors about a set of formulas (`.cycle`): the index of the formula the column is in.
    public var formula: Int?

    public init(_ kind: Kind, column: Int, _ message: String, formula: Int? = nil) {
        self.kind = kind
        self.column = column
        self.message = message
        self.formula = formula
    }

    public var description: String { "column \(column): " + message }
}
