/// One step of a compiled formula, 16 bytes: what to do (`opcode`), for the generic forms which
/// operation (`operation`), and the operand the step carries (`operand`: an input slot, a relative
/// jump, a count or a shift; `constant`: a number or a bit mask).
///
/// The machine keeps the top of its value stack in a register (the accumulator) and the values
/// below it in memory, so an operation with a constant or an input as its right operand (`W / 1000`,
/// `a + b`) is one step that touches no memory but the input.
public struct FormulaInstruction: Equatable, Sendable {
    public var opcode: FormulaOpcode
    public var operation: FormulaOperation
    public var operand: Int32
    public var constant: Double

    init(_ opcode: FormulaOpcode, _ operation: FormulaOperation = .add, operand: Int32 = 0, constant: Double = 0) {
        self.opcode = opcode
        self.operation = operation
        self.operand = operand
        self.constant = constant
    }
}

/// What an instruction does. `acc` is the accumulator (the top of the stack), `k` the constant,
/// `in[s]` the input in slot `operand` (its quality checked), `pop` the value below the top.
public enum FormulaOpcode: UInt8, CaseIterable, Equatable, Sendable {
    /// Pushes `in[s]`.
    case load
    /// Pushes `k`.
    case constant
    /// acc = operation(acc): any one-operand operation.
    case unary
    /// acc = operation(pop, acc): any two-operand operation.
    case binary
    /// acc = operation(acc, k).
    case binaryConstant
    /// acc = operation(k, acc).
    case constantBinary
    /// acc = operation(acc, in[s]).
    case binarySlot
    /// acc = operation(pops operand − 1 values, acc): the three-, five- and any-operand operations.
    case variadic
    /// The common arithmetic, without the generic forms' second dispatch.
    case add, subtract, multiply, divide
    /// acc + k (also acc − k, as acc + (−k), which is exact), acc · k, acc / k (k ≠ 0), k − acc, k / acc.
    case addConstant, multiplyConstant, divideConstant, constantSubtract, constantDivide
    /// acc op in[s].
    case addSlot, subtractSlot, multiplySlot, divideSlot
    /// acc compared with k, 1 or 0 (`k < acc` is compiled as `acc > k`).
    case lessConstant, lessEqualConstant, greaterConstant, greaterEqualConstant, equalConstant, notEqualConstant
    /// acc = 10^acc (`pow(10, x)`, SunSpec scale factors): exact from a table for integer exponents
    /// −22…22, `pow` otherwise.
    case powerOfTen
    /// acc = (integer(acc) >> operand) & mask, the mask's bits in `constant`: `bit` and `bits` with
    /// constant bit numbers.
    case extractBits
    /// Pops; continues `operand` instructions further on (relative to the next one) when the popped
    /// value is 0.
    case jumpIfZero
    /// Continues `operand` instructions further on.
    case jump
    /// Ends the program: the result is acc.
    case `return`
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
