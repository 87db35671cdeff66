/// Compiles formula text into a `FormulaProgram`: parse, resolve references, flatten to postfix
/// code, check the program's length and stack depth. Runs at configuration load (it allocates);
/// the program it returns evaluates without allocating.
public enum FormulaCompiler {
    /// Compiles `text`; `resolve` maps a reference (`W`, `inverter1.W`) to its input slot (≥ 0),
    /// or nil when there is no such point.
    public static func compile(_ text: String, limits: FormulaLimits = FormulaLimits(),
                               resolve: @escaping (String) -> Int?) throws(FormulaError) -> FormulaProgram {
        var parser = try FormulaParser(Array(text.utf8), resolve: resolve)
        let tree = try parser.parseFormula()
        var emitter = Emitter(limit: limits.maxInstructions)
        try emitter.emit(tree)
        emitter.code.append(FormulaInstruction(.return))
        return FormulaProgram(code: emitter.code, inputCount: emitter.inputCount, references: emitter.references)
    }

    /// Flattens the tree into code for the accumulator machine and proves, as it goes, what the
    /// evaluator's unchecked memory accesses rely on (`FormulaProgram.run`): `depth` is the number
    /// of values on the stack after the code so far, checked against `FormulaLimits.stackDepth` at
    /// every push; both arms of a conditional start from the same depth and leave one value; jumps
    /// are relative and patched to the end of what they skip; every slot counts in `inputCount`.
    private struct Emitter {
        var code: [FormulaInstruction] = []
        let limit: Int
        var depth = 0
        var inputCount = 0
        var references: [(slot: Int, column: Int)] = []

        init(limit: Int) { self.limit = limit }

        mutating func append(_ i: FormulaInstruction, pushes: Int, pops: Int, column: Int) throws(FormulaError) {
            if code.count >= limit {
                throw FormulaError(.programTooLong, column: column,
                                   "formula too long: more than \(limit) instructions (simplify it or split it into two points)")
            }
            code.append(i)
            rightOperandStart = -1
            depth += pushes - pops
            if depth > FormulaLimits.stackDepth {
                throw FormulaError(.tooDeep, column: column,
                                   "formula needs more than \(FormulaLimits.stackDepth) intermediate values")
            }
        }

        mutating func push(_ v: Double, column: Int) throws(FormulaError) {
            try append(FormulaInstruction(.constant, constant: v), pushes: 1, pops: 0, column: column)
            rightOperandStart = code.count - 1
        }

        /// Emits operation `o` over the values its operands left on the stack. A two-operand
        /// operation whose right operand compiled to one `constant` or `load` takes it as its
        /// operand instead (the operand's instruction becomes the operation's).
        mutating func op(_ o: FormulaOperation, column: Int) throws(FormulaError) {
            let n = o.operandCount
            if n == 1 {
                try append(FormulaInstruction(.unary, o), pushes: 0, pops: 0, column: column)
                return
            }
            if n == 2, let last = code.last, last.opcode == .constant || last.opcode == .load, rightOperandStart == code.count - 1 {
                code[code.count - 1] = fused(o, last)
                depth -= 1
                return
            }
            if n == 2 {
                try append(FormulaInstruction(stackForm(o), o), pushes: 0, pops: 1, column: column)
            } else {
                try append(FormulaInstruction(.variadic, o, operand: Int32(n)), pushes: 0, pops: n - 1, column: column)
            }
        }

        /// Where the code of the operand emitted last starts: only a right operand that is exactly
        /// one instruction, with no jump landing on the instruction after it, may be fused.
        var rightOperandStart = -1

        func stackForm(_ o: FormulaOperation) -> FormulaOpcode {
            switch o {
            case .add: return .add
            case .subtract: return .subtract
            case .multiply: return .multiply
            case .divide: return .divide
            default: return .binary
            }
        }

        /// `acc o k` or `acc o in[s]` in one instruction.
        func fused(_ o: FormulaOperation, _ right: FormulaInstruction) -> FormulaInstruction {
            let k = right.constant
            if right.opcode == .load {
                let opcode: FormulaOpcode
                switch o {
                case .add: opcode = .addSlot
                case .subtract: opcode = .subtractSlot
                case .multiply: opcode = .multiplySlot
                case .divide: opcode = .divideSlot
                default: opcode = .binarySlot
                }
                return FormulaInstruction(opcode, o, operand: right.operand)
            }
            switch o {
            case .add: return FormulaInstruction(.addConstant, o, constant: k)
            case .subtract: return FormulaInstruction(.addConstant, o, constant: -k)
            case .multiply: return FormulaInstruction(.multiplyConstant, o, constant: k)
            case .divide where k != 0: return FormulaInstruction(.divideConstant, o, constant: k)
            case .less: return FormulaInstruction(.lessConstant, o, constant: k)
            case .lessEqual: return FormulaInstruction(.lessEqualConstant, o, constant: k)
            case .greater: return FormulaInstruction(.greaterConstant, o, constant: k)
            case .greaterEqual: return FormulaInstruction(.greaterEqualConstant, o, constant: k)
            case .equal: return FormulaInstruction(.equalConstant, o, constant: k)
            case .notEqual: return FormulaInstruction(.notEqualConstant, o, constant: k)
            case .bit:
                if let n = FormulaProgram.index(k) { return FormulaInstruction(.extractBits, o, operand: Int32(n), constant: Double(bitPattern: 1)) }
                return FormulaInstruction(.binaryConstant, o, constant: k)
            default: return FormulaInstruction(.binaryConstant, o, constant: k)
            }
        }

        /// `k o acc` in one instruction, when the left operand is the constant `k` (it cannot fault,
        /// so taking it after the right operand keeps the order in which faults are found).
        func constantLeft(_ o: FormulaOperation, _ k: Double) -> FormulaInstruction {
            switch o {
            case .add: return FormulaInstruction(.addConstant, o, constant: k)
            case .multiply: return FormulaInstruction(.multiplyConstant, o, constant: k)
            case .subtract: return FormulaInstruction(.constantSubtract, o, constant: k)
            case .divide: return FormulaInstruction(.constantDivide, o, constant: k)
            case .less: return FormulaInstruction(.greaterConstant, o, constant: k)
            case .lessEqual: return FormulaInstruction(.greaterEqualConstant, o, constant: k)
            case .greater: return FormulaInstruction(.lessConstant, o, constant: k)
            case .greaterEqual: return FormulaInstruction(.lessEqualConstant, o, constant: k)
            case .equal: return FormulaInstruction(.equalConstant, o, constant: k)
            case .notEqual: return FormulaInstruction(.notEqualConstant, o, constant: k)
            case .power where k == 10: return FormulaInstruction(.powerOfTen, o)
            default: return FormulaInstruction(.constantBinary, o, constant: k)
            }
        }

        /// Emits the binary operation `o` over two subtrees.
        mutating func binary(_ o: FormulaOperation, _ a: FormulaNode, _ b: FormulaNode, column: Int) throws(FormulaError) {
            let start = code.count
            try emit(a)
            if code.count == start + 1, code[start].opcode == .constant {
                // A constant left operand: drop it, emit the right one, then `k o acc`.
                let k = code[start].constant
                code.removeLast()
                depth -= 1
                let rightStart = code.count
                try emit(b)
                if code.count == rightStart + 1, code[rightStart].opcode == .constant {
                    // Both constant (folding left it so: it faults); keep the generic order, which
                    // needs the left value on the stack again: check that depth too.
                    code.insert(FormulaInstruction(.constant, constant: k), at: rightStart)
                    depth += 1
                    if depth > FormulaLimits.stackDepth {
                        throw FormulaError(.tooDeep, column: column,
                                           "formula needs more than \(FormulaLimits.stackDepth) intermediate values")
                    }
                    try op(o, column: column)
                    return
                }
                try append(constantLeft(o, k), pushes: 0, pops: 0, column: column)
                return
            }
            try emit(b)
            try op(o, column: column)
        }

        /// Replaces the code emitted for `node` since `start` by one constant when it reads no
        /// input and evaluates to a good value (a fault is left to run time: it may sit in a
        /// branch not taken).
        mutating func fold(from start: Int) {
            guard code.count > start + 1 else { return }
            for i in code[start...] where i.opcode.readsInput { return }
            var piece = Array(code[start...])
            piece.append(FormulaInstruction(.return))
            let r = FormulaProgram.evaluateWithoutInputs(piece)
            guard r.isGood else { return }
            code.removeSubrange(start...)
            code.append(FormulaInstruction(.constant, constant: r.value))
            rightOperandStart = start
        }

        /// Emits a placeholder jump, returns its index for `patch`.
        mutating func jump(ifZero: Bool, column: Int) throws(FormulaError) -> Int {
            try append(FormulaInstruction(ifZero ? .jumpIfZero : .jump), pushes: 0, pops: ifZero ? 1 : 0, column: column)
            return code.count - 1
        }

        /// Points the jump at `at` to the next instruction to be emitted.
        mutating func patch(_ at: Int) {
            code[at].operand = Int32(code.count - at - 1)
            rightOperandStart = -1  // a jump lands here: what follows is not one simple operand
        }

        /// Emits a condition for `jumpIfZero`: `x != 0` tests the same as `x`.
        mutating func condition(_ c: FormulaNode) throws(FormulaError) {
            if case .binary(.notEqual, let x, .number(0, _), _) = c { return try emit(x) }
            try emit(c)
        }

        /// Emits `node` and, unless it always yields 1 or 0, its truth.
        mutating func truthOf(_ node: FormulaNode, column: Int) throws(FormulaError) {
            try emit(node)
            if !node.isTruthValue { try append(FormulaInstruction(.unary, .truth), pushes: 0, pops: 0, column: column) }
        }

        /// Both arms of a conditional leave one value: the second starts from the depth before the first.
        mutating func conditional(_ c: FormulaNode, _ a: FormulaNode, _ b: FormulaNode, column: Int) throws(FormulaError) {
            let start = code.count
            try condition(c)
            if code.count == start + 1, code[start].opcode == .constant {
                // A constant condition: only the branch it takes.
                let taken = code[start].constant != 0
                code.removeLast()
                depth -= 1
                return try emit(taken ? a : b)
            }
            let toElse = try jump(ifZero: true, column: column)
            try emit(a)
            let toEnd = try jump(ifZero: false, column: column)
            depth -= 1
            patch(toElse)
            try emit(b)
            patch(toEnd)
        }

        /// Emits the arguments combined left to right with `fold`, each first turned into its
        /// integer truth when `integerTruth` is set.
        mutating func fold(_ args: [FormulaNode], integerTruth: Bool = false, _ fold: FormulaOperation, column: Int) throws(FormulaError) {
            for (i, a) in args.enumerated() {
                try emit(a)
                if integerTruth { try append(FormulaInstruction(.unary, .integerTruth), pushes: 0, pops: 0, column: a.column) }
                if i > 0 { try op(fold, column: a.column) }
            }
        }

        mutating func emit(_ node: FormulaNode) throws(FormulaError) {
            let start = code.count
            try emitUnfolded(node)
            fold(from: start)
            rightOperandStart = code.count == start + 1 ? start : -1
        }

        mutating func emitUnfolded(_ node: FormulaNode) throws(FormulaError) {
            switch node {
            case .number(let v, let column):
                try push(v, column: column)
            case .reference(let slot, let column):
                inputCount = Swift.max(inputCount, slot + 1)
                references.append((slot, column))
                try append(FormulaInstruction(.load, operand: Int32(slot)), pushes: 1, pops: 0, column: column)
            case .unary(let o, let a, let column):
                try emit(a)
                try op(o, column: column)
            case .binary(let o, let a, let b, let column):
                try binary(o, a, b, column: column)
            case .and(let a, let b, let column):
                // a && b: a == 0 ? 0 : truth(b)
                try condition(a)
                let toFalse = try jump(ifZero: true, column: column)
                try truthOf(b, column: column)
                let toEnd = try jump(ifZero: false, column: column)
                depth -= 1
                patch(toFalse)
                try push(0, column: column)
                patch(toEnd)
            case .or(let a, let b, let column):
                // a || b: a == 0 ? truth(b) : 1
                try condition(a)
                let toRight = try jump(ifZero: true, column: column)
                try push(1, column: column)
                let toEnd = try jump(ifZero: false, column: column)
                depth -= 1
                patch(toRight)
                try truthOf(b, column: column)
                patch(toEnd)
            case .call(let f, let args, let column):
                try call(f, args, column: column)
            }
        }

        mutating func call(_ f: FormulaFunction, _ args: [FormulaNode], column: Int) throws(FormulaError) {
            func unary(_ o: FormulaOperation) throws(FormulaError) {
                try emit(args[0])
                try op(o, column: column)
            }
            func simple(_ o: FormulaOperation) throws(FormulaError) {
                if args.count == 2 { return try binary(o, args[0], args[1], column: column) }
                for a in args { try emit(a) }
                try op(o, column: column)
            }
            switch f {
            case .if: try conditional(args[0], args[1], args[2], column: column)
            case .abs: try unary(.abs)
            case .round: try unary(.round)
            case .floor: try unary(.floor)
            case .ceil: try unary(.ceil)
            case .sqrt: try unary(.sqrt)
            case .exp: try unary(.exp)
            case .log: try unary(.log)
            case .pow: try simple(.power)
            case .bit, .bitN: try simple(.bit)
            case .bits, .bitsMToN:
                try emit(args[0])
                let start = code.count
                try emit(args[1])
                try emit(args[2])
                if code.count == start + 2, code[start].opcode == .constant, code[start + 1].opcode == .constant,
                   let m = FormulaProgram.index(code[start].constant), let n = FormulaProgram.index(code[start + 1].constant) {
                    // Constant bit numbers: the shift and the mask are worked out here.
                    let low = Swift.min(m, n)
                    code.removeSubrange(start...)
                    depth -= 2
                    let mask = FormulaProgram.mask(width: Swift.max(m, n) - low + 1)
                    try append(FormulaInstruction(.extractBits, .bits, operand: Int32(low), constant: Double(bitPattern: mask)),
                               pushes: 0, pops: 0, column: column)
                } else {
                    try op(.bits, column: column)
                }
            case .min: try fold(args, .minimum, column: column)
            case .max: try fold(args, .maximum, column: column)
            case .sum: try fold(args, .add, column: column)
            case .product: try fold(args, .multiply, column: column)
            case .subtraction: try simple(.subtract)
            case .ratio: try simple(.divide)
            case .ratioAgainstSum:
                try emit(args[0])
                try binary(.add, args[1], args[2], column: column)
                try op(.divide, column: column)
            case .crossProduct:
                // a * (x1*x2 + x3*x4 + ...): with an odd count the last argument is the coefficient a.
                let pairs = args.count / 2
                for p in 0..<pairs {
                    try emit(args[2 * p])
                    try emit(args[2 * p + 1])
                    try op(.multiply, column: column)
                    if p > 0 { try op(.add, column: column) }
                }
                if args.count % 2 == 1 {
                    try emit(args[args.count - 1])
                    try op(.multiply, column: column)
                }
            case .logicalOr: try fold(args, integerTruth: true, .maximum, column: column)
            case .logicalAnd: try fold(args, integerTruth: true, .minimum, column: column)
            case .xor, .multiChannel:
                for a in args { try emit(a) }
                try append(FormulaInstruction(.variadic, f == .xor ? .allEqual : .firstNonZero, operand: Int32(args.count)),
                           pushes: 1, pops: args.count, column: column)
            case .ifEqual:
                // if_equal(x, a, b, c): b when x == a, else c; all four evaluated.
                try binary(.equal, args[0], args[1], column: column)
                try emit(args[2])
                try emit(args[3])
                try op(.select, column: column)
            case .ifRange: try simple(.ifRange)
            case .multiBit:
                // Σ integerTruth(x_i) · 2^(i-1)
                var weight = 1.0
                for (i, a) in args.enumerated() {
                    try emit(a)
                    try op(.integerTruth, column: column)
                    if i > 0 {
                        try push(weight, column: column)
                        try op(.multiply, column: column)
                        try op(.add, column: column)
                    }
                    weight *= 2
                }
            }
        }
    }
}

extension FormulaOpcode {
    /// Whether the instruction reads an input (a subtree with one cannot be folded to a constant).
    var readsInput: Bool {
        switch self {
        case .load, .binarySlot, .addSlot, .subtractSlot, .multiplySlot, .divideSlot: return true
        default: return false
        }
    }
}

extension FormulaNode {
    /// Whether the node always yields 1 or 0, so that its truth is itself.
    var isTruthValue: Bool {
        switch self {
        case .number(let v, _): return v == 0 || v == 1
        case .reference: return false
        case .unary(let o, _, _): return o == .not
        case .binary(let o, _, _, _):
            switch o {
            case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return true
            default: return false
            }
        case .and, .or: return true
        case .call(let f, _, _):
            switch f {
            case .bit, .bitN, .logicalOr, .logicalAnd, .xor: return true
            default: return false
            }
        }
    }
}
