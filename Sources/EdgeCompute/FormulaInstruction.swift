/// One step of a compiled formula: postfix code over a small value stack.
public enum FormulaInstruction: Equatable, Sendable {
    /// Pushes a number.
    case constant(Double)
    /// Pushes input `slot` (its quality decides whether the result is good); `column` is where the
    /// reference stands in the formula, for the cycle check and error messages.
    case load(slot: Int32, column: Int32)
    /// Pops the operation's operands, pushes its result.
    case operation(FormulaOperation)
    /// Pops `count` operands of a variadic operation, pushes its result.
    case variadic(FormulaOperation, count: Int32)
    /// Pops a value; continues at `target` when it is 0.
    case jumpIfZero(target: Int32)
    /// Continues at `target`.
    case jump(target: Int32)
}

/// Sizes fixed when formulas are compiled: the evaluator needs nothing more at run time.
public struct FormulaLimits: Sendable {
    /// Instructions per formula (a formula needing more is refused with `.programTooLong`).
    public var maxInstructions: Int

    public init(maxInstructions: Int = 64) {
        self.maxInstructions = maxInstructions
    }

    /// Values the evaluator's stack holds (a formula needing more is refused with `.tooDeep`).
    public static let stackDepth = 32
}
