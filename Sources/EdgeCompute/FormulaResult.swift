/// The quality of one input of a formula, as the caller's buffer holds it.
public enum InputQuality: UInt8, Equatable, Sendable {
    case good
    case bad
}

/// Why a formula's result is bad. Evaluation stops at the first fault; nothing traps.
public enum FormulaFault: UInt8, Equatable, Sendable {
    /// An input the evaluation read is bad (or the caller's buffers are shorter than the program's inputs).
    case badInput
    /// `/`, `%`, `ratio` or `ratio_against_sum` with a zero divisor.
    case divisionByZero
    /// A result too large for a double (±infinity), or an integer operand beyond 64 bits.
    case overflow
    /// A result that is not a number (`sqrt(-1)`, `pow(-8, 1/3)`, `log(-1)`).
    case notANumber
    /// A bit index or shift count outside 0...63.
    case outOfRange

    public var name: String {
        switch self {
        case .badInput: return "bad input"
        case .divisionByZero: return "division by zero"
        case .overflow: return "overflow"
        case .notANumber: return "not a number"
        case .outOfRange: return "bit index out of range"
        }
    }
}

/// A formula's value and, when it is bad, why. `value` is 0 when `fault` is set.
public struct FormulaResult: Equatable, Sendable {
    public var value: Double
    public var fault: FormulaFault?

    public init(value: Double, fault: FormulaFault? = nil) {
        self.value = value
        self.fault = fault
    }

    public static func bad(_ fault: FormulaFault) -> FormulaResult { FormulaResult(value: 0, fault: fault) }

    public var isGood: Bool { fault == nil }
}
