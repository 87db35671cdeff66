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
        return FormulaProgram(instructions: emitter.code, inputCount: emitter.inputCount)
    }

    private struct Emitter {
        var code: [FormulaInstruction] = []
        let limit: Int
        var depth = 0
        var inputCount = 0

        init(limit: Int) { self.limit = limit }

        mutating func append(_ i: FormulaInstruction, pushes: Int, pops: Int, column: Int) throws(FormulaError) {
            if code.count >= limit {
                throw FormulaError(.programTooLong, column: column,
                                   "formula too long: more than \(limit) instructions (simplify it or split it into two points)")
            }
            code.append(i)
            depth += pushes - pops
            if depth > FormulaLimits.stackDepth {
                throw FormulaError(.tooDeep, column: column,
                                   "formula needs more than \(FormulaLimits.stackDepth) intermediate values")
            }
        }

        mutating func push(_ v: Double, column: Int) throws(FormulaError) {
            try append(.constant(v), pushes: 1, pops: 0, column: column)
        }

        mutating func op(_ o: FormulaOperation, column: Int) throws(FormulaError) {
            try append(.operation(o), pushes: 1, pops: o.operandCount, column: column)
        }

        /// Emits a placeholder jump, returns its index for `patch`.
        mutating func jump(ifZero: Bool, column: Int) throws(FormulaError) -> Int {
            try append(ifZero ? .jumpIfZero(target: -1) : .jump(target: -1), pushes: 0, pops: ifZero ? 1 : 0, column: column)
            return code.count - 1
        }

        mutating func patch(_ at: Int) {
            let target = Int32(code.count)
            switch code[at] {
            case .jumpIfZero: code[at] = .jumpIfZero(target: target)
            default: code[at] = .jump(target: target)
            }
        }

        /// Both arms of a conditional leave one value: the second starts from the depth before the first.
        mutating func conditional(_ c: FormulaNode?, _ a: FormulaNode, _ b: FormulaNode, column: Int,
                                  truthOfArms: Bool) throws(FormulaError) {
            if let c { try emit(c) }
            let toElse = try jump(ifZero: true, column: column)
            try emit(a)
            if truthOfArms { try op(.truth, column: column) }
            let toEnd = try jump(ifZero: false, column: column)
            depth -= 1
            patch(toElse)
            try emit(b)
            if truthOfArms { try op(.truth, column: column) }
            patch(toEnd)
        }

        /// Emits the arguments, each followed by `each`, combined left to right with `fold`.
        mutating func fold(_ args: [FormulaNode], each: FormulaOperation?, _ fold: FormulaOperation, column: Int) throws(FormulaError) {
            for (i, a) in args.enumerated() {
                try emit(a)
                if let each { try op(each, column: a.column) }
                if i > 0 { try op(fold, column: a.column) }
            }
        }

        mutating func emit(_ node: FormulaNode) throws(FormulaError) {
            switch node {
            case .number(let v, let column):
                try push(v, column: column)
            case .reference(let slot, let column):
                inputCount = Swift.max(inputCount, slot + 1)
                try append(.load(slot: Int32(slot), column: Int32(column)), pushes: 1, pops: 0, column: column)
            case .unary(let o, let a, let column):
                try emit(a)
                try op(o, column: column)
            case .binary(let o, let a, let b, let column):
                try emit(a)
                try emit(b)
                try op(o, column: column)
            case .and(let a, let b, let column):
                // a && b: a == 0 ? 0 : truth(b)
                try emit(a)
                let toFalse = try jump(ifZero: true, column: column)
                try emit(b)
                try op(.truth, column: column)
                let toEnd = try jump(ifZero: false, column: column)
                depth -= 1
                patch(toFalse)
                try push(0, column: column)
                patch(toEnd)
            case .or(let a, let b, let column):
                // a || b: a == 0 ? truth(b) : 1
                try emit(a)
                let toRight = try jump(ifZero: true, column: column)
                try push(1, column: column)
                let toEnd = try jump(ifZero: false, column: column)
                depth -= 1
                patch(toRight)
                try emit(b)
                try op(.truth, column: column)
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
                for a in args { try emit(a) }
                try op(o, column: column)
            }
            switch f {
            case .if: try conditional(args[0], args[1], args[2], column: column, truthOfArms: false)
            case .abs: try unary(.abs)
            case .round: try unary(.round)
            case .floor: try unary(.floor)
            case .ceil: try unary(.ceil)
            case .sqrt: try unary(.sqrt)
            case .exp: try unary(.exp)
            case .log: try unary(.log)
            case .pow: try simple(.power)
            case .bit, .bitN: try simple(.bit)
            case .bits, .bitsMToN: try simple(.bits)
            case .min: try fold(args, each: nil, .minimum, column: column)
            case .max: try fold(args, each: nil, .maximum, column: column)
            case .sum: try fold(args, each: nil, .add, column: column)
            case .product: try fold(args, each: nil, .multiply, column: column)
            case .subtraction: try simple(.subtract)
            case .ratio: try simple(.divide)
            case .ratioAgainstSum:
                try emit(args[0])
                try emit(args[1])
                try emit(args[2])
                try op(.add, column: column)
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
            case .logicalOr: try fold(args, each: .integerTruth, .maximum, column: column)
            case .logicalAnd: try fold(args, each: .integerTruth, .minimum, column: column)
            case .xor, .multiChannel:
                for a in args { try emit(a) }
                try append(.variadic(f == .xor ? .allEqual : .firstNonZero, count: Int32(args.count)),
                           pushes: 1, pops: args.count, column: column)
            case .ifEqual:
                // if_equal(x, a, b, c): b when x == a, else c; all four evaluated.
                try emit(args[0])
                try emit(args[1])
                try op(.equal, column: column)
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
