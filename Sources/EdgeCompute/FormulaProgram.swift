import CShim

/// A compiled formula: code for an accumulator-and-stack machine (`FormulaInstruction`) whose
/// length and stack depth were checked when it was compiled (`FormulaCompiler`). `evaluate` reads
/// the caller's input buffers, allocates nothing, never traps, and returns a bad result with a
/// reason on a bad input, a division by zero, an overflow or a NaN.
public struct FormulaProgram: Sendable {
    /// The code, ending with `.return`.
    public let instructions: [FormulaInstruction]
    /// One more than the highest input slot the formula reads: the buffers must be at least this long.
    public let inputCount: Int
    /// The input slots the formula reads, with the column of each reference (for the cycle check).
    public let references: [(slot: Int, column: Int)]

    /// `code` must keep the invariants `run` relies on (the compiler's `Emitter` guarantees them).
    init(code: [FormulaInstruction], inputCount: Int, references: [(slot: Int, column: Int)]) {
        self.instructions = code
        self.inputCount = inputCount
        self.references = references
    }

    /// Evaluates the formula over `values[slot]` and `qualities[slot]`. Only the inputs on the path
    /// taken are read: `if`, `&&` and `||` skip the branch they do not need, so a bad input or a
    /// fault there does not make the result bad.
    public func evaluate(values: UnsafeBufferPointer<Double>,
                         qualities: UnsafeBufferPointer<InputQuality>) -> FormulaResult {
        if values.count < inputCount || qualities.count < inputCount { return .bad(.badInput) }
        guard let v = values.baseAddress, let q = qualities.baseAddress else {
            // Empty buffers: only a program that reads no input (inputCount 0) gets here.
            return FormulaProgram.evaluateWithoutInputs(instructions)
        }
        return instructions.withUnsafeBufferPointer { code in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: FormulaProgram.stackCapacity) { stack in
                FormulaProgram.run(code.baseAddress!, v, q, stack.baseAddress!)
            }
        }
    }

    static func evaluateWithoutInputs(_ code: [FormulaInstruction]) -> FormulaResult {
        var none = 0.0
        var quality = InputQuality.bad
        return withUnsafePointer(to: &none) { v in
            withUnsafePointer(to: &quality) { q in
                code.withUnsafeBufferPointer { c in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: stackCapacity) { stack in
                        run(c.baseAddress!, v, q, stack.baseAddress!)
                    }
                }
            }
        }
    }

    /// Values below the accumulator: the deepest point of a program holds `stackDepth` values,
    /// the bottom one a placeholder (the first push saves the still empty accumulator), and a
    /// `variadic` step saves the accumulator too before reading its operands.
    static let stackCapacity = FormulaLimits.stackDepth + 1

    /// The interpreter loop. Memory is reached through unchecked pointers; what keeps every access
    /// in bounds is proved when the program is compiled (`FormulaCompiler.Emitter`):
    /// - every path through the code ends at a `.return`, and every jump lands inside the code;
    /// - at every instruction the stack depth is the same on every path reaching it and is at most
    ///   `FormulaLimits.stackDepth`, and no instruction pops more than is there, so `sp` stays
    ///   within `stack[0...stackCapacity]`;
    /// - every `operand` of `load` and of the slot forms is below `inputCount`, which `evaluate`
    ///   checked against both buffers' lengths.
    static func run(_ code: UnsafePointer<FormulaInstruction>, _ values: UnsafePointer<Double>,
                            _ qualities: UnsafePointer<InputQuality>, _ stack: UnsafeMutablePointer<Double>) -> FormulaResult {
        var pc = code
        var sp = stack  // the next free place below the accumulator
        var acc = 0.0
        while true {
            let i = pc.pointee
            pc += 1
            switch i.opcode {
            case .load:
                let s = Int(i.operand)
                let v = values[s]
                if qualities[s] != .good || !v.isFinite { return .bad(inputFault(qualities[s], v)) }
                sp.pointee = acc
                sp += 1
                acc = v
            case .constant:
                sp.pointee = acc
                sp += 1
                acc = i.constant
            case .unary:
                acc = apply(i.operation, acc)
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .binary:
                sp -= 1
                acc = apply(i.operation, sp.pointee, acc)
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .binaryConstant:
                acc = apply(i.operation, acc, i.constant)
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .constantBinary:
                acc = apply(i.operation, i.constant, acc)
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .binarySlot:
                let s = Int(i.operand)
                let v = values[s]
                if qualities[s] != .good || !v.isFinite { return .bad(inputFault(qualities[s], v)) }
                acc = apply(i.operation, acc, v)
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .variadic:
                sp.pointee = acc
                sp += 1
                let n = Int(i.operand)
                sp -= n
                acc = apply(i.operation, UnsafeBufferPointer(start: sp, count: n))
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .add:
                sp -= 1
                acc = sp.pointee + acc
                if !acc.isFinite { return .bad(.overflow) }
            case .subtract:
                sp -= 1
                acc = sp.pointee - acc
                if !acc.isFinite { return .bad(.overflow) }
            case .multiply:
                sp -= 1
                acc = sp.pointee * acc
                if !acc.isFinite { return .bad(.overflow) }
            case .divide:
                sp -= 1
                if acc == 0 { return .bad(.divisionByZero) }
                acc = sp.pointee / acc
                if !acc.isFinite { return .bad(.overflow) }
            case .addConstant:
                acc += i.constant
                if !acc.isFinite { return .bad(.overflow) }
            case .multiplyConstant:
                acc *= i.constant
                if !acc.isFinite { return .bad(.overflow) }
            case .divideConstant:
                acc /= i.constant
                if !acc.isFinite { return .bad(.overflow) }
            case .constantSubtract:
                acc = i.constant - acc
                if !acc.isFinite { return .bad(.overflow) }
            case .constantDivide:
                if acc == 0 { return .bad(.divisionByZero) }
                acc = i.constant / acc
                if !acc.isFinite { return .bad(.overflow) }
            case .addSlot:
                let s = Int(i.operand)
                let v = values[s]
                if qualities[s] != .good || !v.isFinite { return .bad(inputFault(qualities[s], v)) }
                acc += v
                if !acc.isFinite { return .bad(.overflow) }
            case .subtractSlot:
                let s = Int(i.operand)
                let v = values[s]
                if qualities[s] != .good || !v.isFinite { return .bad(inputFault(qualities[s], v)) }
                acc -= v
                if !acc.isFinite { return .bad(.overflow) }
            case .multiplySlot:
                let s = Int(i.operand)
                let v = values[s]
                if qualities[s] != .good || !v.isFinite { return .bad(inputFault(qualities[s], v)) }
                acc *= v
                if !acc.isFinite { return .bad(.overflow) }
            case .divideSlot:
                let s = Int(i.operand)
                let v = values[s]
                if qualities[s] != .good || !v.isFinite { return .bad(inputFault(qualities[s], v)) }
                if v == 0 { return .bad(.divisionByZero) }
                acc /= v
                if !acc.isFinite { return .bad(.overflow) }
            case .lessConstant: acc = acc < i.constant ? 1 : 0
            case .lessEqualConstant: acc = acc <= i.constant ? 1 : 0
            case .greaterConstant: acc = acc > i.constant ? 1 : 0
            case .greaterEqualConstant: acc = acc >= i.constant ? 1 : 0
            case .equalConstant: acc = acc == i.constant ? 1 : 0
            case .notEqualConstant: acc = acc != i.constant ? 1 : 0
            case .powerOfTen:
                acc = powerOfTen(acc)
                if !acc.isFinite { return .bad(fault(of: acc)) }
            case .extractBits:
                guard let x = integer(acc) else { return .bad(.overflow) }
                acc = Double(UInt64(bitPattern: x) &>> UInt64(i.operand) & i.constant.bitPattern)
            case .jumpIfZero:
                let c = acc
                sp -= 1
                acc = sp.pointee
                if c == 0 { pc += Int(i.operand) }
            case .jump:
                pc += Int(i.operand)
            case .return:
                return FormulaResult(value: acc)
            }
        }
    }

    /// Why an input cannot be used: bad quality, or a value that is not finite.
    static func inputFault(_ q: InputQuality, _ v: Double) -> FormulaFault {
        q != .good ? .badInput : v.isNaN ? .notANumber : .overflow
    }

    /// 10^k for k = −22…22: 10^0…10^22 are exact doubles, and each 1e−k literal is the double
    /// nearest 10^−k, which is what a correctly rounded `pow(10, −k)` returns.
    static let powersOfTen: [Double] = [
        1e-22, 1e-21, 1e-20, 1e-19, 1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8,
        1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always)
    static func powerOfTen(_ x: Double) -> Double {
        if x >= -22 && x <= 22, let k = Int(exactly: x) {
            return powersOfTen.withUnsafeBufferPointer { $0[k + 22] }
        }
        return pow(10, x)
    }

    /// Faults are encoded in results as NaN payloads so the arithmetic stays branch-light: a fault
    /// is a NaN whose payload names it, a plain NaN is `.notANumber`, ±infinity is `.overflow`.
    /// Only called for a result that is not finite.
    static func fault(of r: Double) -> FormulaFault {
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

    /// The operations of three, five or any number of operands, over `v` (first operand first).
    static func apply(_ op: FormulaOperation, _ v: UnsafeBufferPointer<Double>) -> Double {
        switch op {
        case .select: return v[0] != 0 ? v[1] : v[2]
        case .bits:
            guard let x = integer(v[0]) else { return integerOverflow }
            guard let m = index(v[1]), let n = index(v[2]) else { return outOfRange }
            let low = Swift.min(m, n), width = Swift.max(m, n) - low + 1
            return Double(UInt64(bitPattern: x) >> UInt64(low) & mask(width: width))
        case .ifRange:
            // EnOS if_range(x, A, B, C, D): D when x ≥ B; C when A < x < B; otherwise x.
            if v[0] >= v[2] { return v[4] }
            if v[0] > v[1] && v[0] < v[2] { return v[3] }
            return v[0]
        case .allEqual:
            let first = v[0].rounded(.towardZero)
            for x in v.dropFirst() where x.rounded(.towardZero) != first { return 0 }
            return 1
        case .firstNonZero:
            for i in 0..<v.count where v[i] != 0 { return Double(i + 1) }
            return 0
        default: return .nan
        }
    }

    /// The lowest `width` bits set (1…64).
    static func mask(width: Int) -> UInt64 { width >= 64 ? ~0 : (1 << UInt64(width)) - 1 }
}
