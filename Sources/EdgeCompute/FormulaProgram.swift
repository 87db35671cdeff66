import CShim

/// A compiled formula: postfix code whose length and stack depth were checked when it was
/// compiled (`FormulaCompiler`). `evaluate` reads the caller's input buffers, allocates nothing,
/// never traps, and returns a bad result with a reason on a bad input, a division by zero, an
/// overflow or a NaN.
public struct FormulaProgram: Sendable {
    public let instructions: [FormulaInstruction]
    /// One more than the highest input slot the formula reads: the buffers must be at least this long.
    public let inputCount: Int

    init(instructions: [FormulaInstruction], inputCount: Int) {
        self.instructions = instructions
        self.inputCount = inputCount
    }

    /// The input slots the formula reads, with the column of each reference (for the cycle check).
    public var references: [(slot: Int, column: Int)] {
        var out: [(slot: Int, column: Int)] = []
        for case .load(let slot, let column) in instructions { out.append((Int(slot), Int(column))) }
        return out
    }

    /// Evaluates the formula over `values[slot]` and `qualities[slot]`. Only the inputs on the path
    /// taken are read: `if`, `&&` and `||` skip the branch they do not need, so a bad input or a
    /// fault there does not make the result bad.
    public func evaluate(values: UnsafeBufferPointer<Double>,
                         qualities: UnsafeBufferPointer<InputQuality>) -> FormulaResult {
        if values.count < inputCount || qualities.count < inputCount { return .bad(.badInput) }
        return instructions.withUnsafeBufferPointer { code in FormulaProgram.run(code, values, qualities) }
    }

    /// The interpreter loop, outside any closure so that its stack stays a plain local (a
    /// variable captured by a closure may be boxed on the heap in unoptimised builds).
    private static func run(_ code: UnsafeBufferPointer<FormulaInstruction>, _ values: UnsafeBufferPointer<Double>,
                            _ qualities: UnsafeBufferPointer<InputQuality>) -> FormulaResult {
        var stack = InlineArray<32, Double>(repeating: 0)
        var sp = 0  // number of values on the stack
        var pc = 0
        while pc < code.count {
            switch code[pc] {
            case .constant(let v):
                stack[sp] = v
                sp += 1
            case .load(let slot, _):
                let s = Int(slot)
                if qualities[s] != .good { return .bad(.badInput) }
                let v = values[s]
                if !v.isFinite { return .bad(v.isNaN ? .notANumber : .overflow) }
                stack[sp] = v
                sp += 1
            case .operation(let op):
                let n = op.operandCount
                sp -= n
                let r: Double
                switch n {
                case 1: r = apply(op, stack[sp])
                case 2: r = apply(op, stack[sp], stack[sp + 1])
                case 3: r = apply(op, stack[sp], stack[sp + 1], stack[sp + 2])
                default: r = ifRange(stack[sp], stack[sp + 1], stack[sp + 2], stack[sp + 3], stack[sp + 4])
                }
                if let fault = fault(of: r) { return .bad(fault) }
                stack[sp] = r
                sp += 1
            case .variadic(let op, let count):
                let n = Int(count)
                sp -= n
                var r = 0.0
                if op == .allEqual {
                    r = 1
                    let first = stack[sp].rounded(.towardZero)
                    for i in 1..<n where stack[sp + i].rounded(.towardZero) != first { r = 0 }
                } else {
                    for i in 0..<n where stack[sp + i] != 0 { r = Double(i + 1); break }
                }
                stack[sp] = r
                sp += 1
            case .jumpIfZero(let target):
                sp -= 1
                if stack[sp] == 0 { pc = Int(target); continue }
            case .jump(let target):
                pc = Int(target)
                continue
            }
            pc += 1
        }
        return FormulaResult(value: stack[0])
    }

    /// Faults are encoded in results as NaN payloads so the arithmetic stays branch-light: a fault
    /// is a NaN whose payload names it, a plain NaN is `.notANumber`, ±infinity is `.overflow`.
    @inline(__always)
    static func fault(of r: Double) -> FormulaFault? {
        if r.isFinite { return nil }
        if r.isInfinite { return .overflow }
        switch r.bitPattern & 0xFF {
        case 0xD1: return .divisionByZero
        case 0xD2: return .outOfRange
        case 0xD3: return .overflow
        default: return .notANumber
        }
    }

    static let divisionByZero = Double(bitPattern: 0x7FF8_0000_0000_00D1)
    static let outOfRange = Double(bitPattern: 0x7FF8_0000_0000_00D2)
    static let integerOverflow = Double(bitPattern: 0x7FF8_0000_0000_00D3)

    /// x as a 64-bit integer (truncated toward zero), or nil beyond ±2^63.
    @inline(__always)
    static func integer(_ x: Double) -> Int64? {
        let t = x.rounded(.towardZero)
        guard t >= -9.223372036854775808e18 && t < 9.223372036854775808e18 else { return nil }
        return Int64(t)
    }

    /// A bit index or shift count: an integer in 0...63.
    @inline(__always)
    static func index(_ x: Double) -> Int? {
        guard x >= 0 && x < 64 else { return nil }
        return Int(x.rounded(.towardZero))
    }

    static func apply(_ op: FormulaOperation, _ a: Double) -> Double {
        switch op {
        case .negate: return -a
        case .not: return a == 0 ? 1 : 0
        case .bitNot:
            guard let i = integer(a) else { return integerOverflow }
            return Double(~i)
        case .abs: return Swift.abs(a)
        case .floor: return a.rounded(.down)
        case .ceil: return a.rounded(.up)
        case .round: return a.rounded(.toNearestOrAwayFromZero)
        case .sqrt: return a < 0 ? .nan : a.squareRoot()
        case .exp: return exp(a)
        case .log: return a < 0 ? .nan : log(a)
        case .integerTruth: return Swift.abs(a) >= 1 ? 1 : 0
        case .truth: return a != 0 ? 1 : 0
        default: return .nan
        }
    }

    static func apply(_ op: FormulaOperation, _ a: Double, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return b == 0 ? divisionByZero : a / b
        case .remainder: return b == 0 ? divisionByZero : a.truncatingRemainder(dividingBy: b)
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .greaterEqual: return a >= b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        case .minimum: return Swift.min(a, b)
        case .maximum: return Swift.max(a, b)
        case .power: return pow(a, b)
        case .bitAnd, .bitOr, .bitXor:
            guard let x = integer(a), let y = integer(b) else { return integerOverflow }
            return Double(op == .bitAnd ? x & y : op == .bitOr ? x | y : x ^ y)
        case .shiftLeft, .shiftRight:
            guard let x = integer(a) else { return integerOverflow }
            guard let n = index(b) else { return outOfRange }
            return Double(op == .shiftLeft ? x &<< Int64(n) : x &>> Int64(n))
        case .bit:
            guard let x = integer(a) else { return integerOverflow }
            guard let n = index(b) else { return outOfRange }
            return Double((x &>> Int64(n)) & 1)
        default: return .nan
        }
    }

    static func apply(_ op: FormulaOperation, _ a: Double, _ b: Double, _ c: Double) -> Double {
        switch op {
        case .select: return a != 0 ? b : c
        case .bits:
            guard let x = integer(a) else { return integerOverflow }
            guard let m = index(b), let n = index(c) else { return outOfRange }
            let low = Swift.min(m, n), width = Swift.max(m, n) - low + 1
            let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
            return Double(UInt64(bitPattern: x) >> UInt64(low) & mask)
        default: return .nan
        }
    }

    /// EnOS if_range(x, A, B, C, D): D when x ≥ B; C when A < x < B; otherwise x.
    static func ifRange(_ x: Double, _ a: Double, _ b: Double, _ c: Double, _ d: Double) -> Double {
        if x >= b { return d }
        if x > a && x < b { return c }
        return x
    }
}
