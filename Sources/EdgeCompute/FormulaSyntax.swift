/// The operations a formula program performs at run time; the compiler maps operators and
/// functions onto them, the evaluator (`FormulaProgram.evaluate`) gives them their meaning.
public enum FormulaOperation: UInt8, Equatable, Sendable {
    // One operand.
    case negate, not, bitNot, abs, floor, ceil, round, sqrt, exp, log
    /// 1 when the value truncated to an integer is not 0 (EnOS reads digital inputs "as INT").
    case integerTruth
    /// 1 when the value is not 0.
    case truth
    // Two operands.
    case add, subtract, multiply, divide, remainder
    case less, lessEqual, greater, greaterEqual, equal, notEqual
    case bitAnd, bitOr, bitXor, shiftLeft, shiftRight
    case minimum, maximum, power
    /// bit(x, n): bit n (0 = least significant) of x as an integer.
    case bit
    // Three operands.
    /// bits(x, m, n): the bits between m and n (inclusive, either order), shifted down.
    case bits
    /// select(c, a, b): a when c is not 0, else b (both already evaluated).
    case select
    // Five operands.
    /// if_range(x, A, B, C, D): D when x ≥ B, C when A < x < B, else x.
    case ifRange
    // Any number of operands (`FormulaInstruction.variadic`).
    /// EnOS `xor`: 1 when all operands are equal as integers, else 0.
    case allEqual
    /// EnOS `MULTICHANNEL` (see README): the 1-based position of the first operand that is not 0, 0 if none.
    case firstNonZero

    var operandCount: Int {
        switch self {
        case .negate, .not, .bitNot, .abs, .floor, .ceil, .round, .sqrt, .exp, .log, .integerTruth, .truth: return 1
        case .bits, .select: return 3
        case .ifRange: return 5
        case .allEqual, .firstNonZero: return -1
        default: return 2
        }
    }
}

/// A parsed formula: the tree the compiler flattens into a `FormulaProgram` (start-up only; the
/// tree is dropped once compiled).
indirect enum FormulaNode {
    case number(Double, column: Int)
    case reference(slot: Int, column: Int)
    case unary(FormulaOperation, FormulaNode, column: Int)
    case binary(FormulaOperation, FormulaNode, FormulaNode, column: Int)
    /// `&&` and `||`: the right side is evaluated only when the left does not decide.
    case and(FormulaNode, FormulaNode, column: Int)
    case or(FormulaNode, FormulaNode, column: Int)
    case call(FormulaFunction, [FormulaNode], column: Int)

    var column: Int {
        switch self {
        case .number(_, let c), .reference(_, let c), .unary(_, _, let c), .binary(_, _, _, let c),
             .and(_, _, let c), .or(_, _, let c), .call(_, _, let c):
            return c
        }
    }
}

/// The functions of the language: the general ones and the EnOS Edge 2.4 point-mapping formulas
/// (README.md gives each one's meaning and an example). Names are matched without regard to case.
public enum FormulaFunction: CaseIterable, Equatable, Sendable {
    case `if`, abs, min, max, round, floor, ceil, sqrt, pow, exp, log, bit, bits
    case sum, subtraction, product, crossProduct, ratio, ratioAgainstSum
    case logicalOr, logicalAnd, xor, bitN, bitsMToN, ifEqual, ifRange, multiChannel, multiBit

    /// The name as written in formulas (lower case; matched case-insensitively).
    public var name: String {
        switch self {
        case .if: return "if"
        case .abs: return "abs"
        case .min: return "min"
        case .max: return "max"
        case .round: return "round"
        case .floor: return "floor"
        case .ceil: return "ceil"
        case .sqrt: return "sqrt"
        case .pow: return "pow"
        case .exp: return "exp"
        case .log: return "log"
        case .bit: return "bit"
        case .bits: return "bits"
        case .sum: return "sum"
        case .subtraction: return "subtraction"
        case .product: return "product"
        case .crossProduct: return "cross_product"
        case .ratio: return "ratio"
        case .ratioAgainstSum: return "ratio_against_sum"
        case .logicalOr: return "logical_or"
        case .logicalAnd: return "logical_and"
        case .xor: return "xor"
        case .bitN: return "bit_n"
        case .bitsMToN: return "bits_m_to_n"
        case .ifEqual: return "if_equal"
        case .ifRange: return "if_range"
        case .multiChannel: return "multichannel"
        case .multiBit: return "multibit"
        }
    }

    /// Smallest and largest number of arguments.
    var arity: (minimum: Int, maximum: Int) {
        switch self {
        case .abs, .round, .floor, .ceil, .sqrt, .exp, .log: return (1, 1)
        case .pow, .bit, .subtraction, .ratio, .bitN: return (2, 2)
        case .if, .bits, .ratioAgainstSum, .bitsMToN: return (3, 3)
        case .ifEqual: return (4, 4)
        case .ifRange: return (5, 5)
        case .min, .max, .sum, .product, .logicalOr, .logicalAnd, .multiChannel: return (1, 64)
        case .xor, .crossProduct: return (2, 64)
        case .multiBit: return (1, 53)  // bit 52 is the highest a double holds exactly
        }
    }

    /// The function named by `bytes` (ASCII, any case).
    static func named(_ bytes: ArraySlice<UInt8>) -> FormulaFunction? {
        for f in FormulaFunction.allCases {
            let n = f.name.utf8
            guard n.count == bytes.count else { continue }
            var same = true
            for (a, b) in zip(n, bytes) where a != (b >= 0x41 && b <= 0x5A ? b + 0x20 : b) { same = false; break }
            if same { return f }
        }
        return nil
    }
}
