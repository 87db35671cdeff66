import EdgeCompute
import Foundation
import Testing

/// The compiled evaluator against a straightforward recursive evaluator of the same expression
/// tree, on random expressions printed as text with the fewest parentheses (so the parser's
/// precedence is exercised too). FORMULA_SEED=<n> replays a run; the seed is printed.
@Suite struct FormulaPropertyTests {
    indirect enum Expr {
        case number(Double)
        case reference(String)
        case unary(String, Expr)
        case binary(String, Expr, Expr)
        case call(String, [Expr])
    }

    struct Fault: Error { var fault: FormulaFault }

    /// SplitMix64: small, seedable, good enough for test inputs.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    static let binaryLevels: [[String]] = [["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", "<=", ">", ">="],
                                           ["<<", ">>"], ["+", "-"], ["*", "/", "%"]]
    static func level(_ op: String) -> Int { binaryLevels.firstIndex { $0.contains(op) }! }
    static let functions: [(String, Int, Int)] = [
        ("if", 3, 3), ("abs", 1, 1), ("min", 1, 4), ("max", 1, 4), ("round", 1, 1), ("floor", 1, 1), ("ceil", 1, 1),
        ("sqrt", 1, 1), ("pow", 2, 2), ("exp", 1, 1), ("log", 1, 1), ("bit", 2, 2), ("bits", 3, 3), ("sum", 1, 4),
        ("subtraction", 2, 2), ("product", 1, 4), ("cross_product", 2, 5), ("ratio", 2, 2), ("ratio_against_sum", 3, 3),
        ("logical_or", 1, 4), ("logical_and", 1, 4), ("xor", 2, 4), ("bit_n", 2, 2), ("bits_m_to_n", 3, 3),
        ("if_equal", 4, 4), ("if_range", 5, 5), ("MULTICHANNEL", 1, 4), ("MULTIBIT", 1, 4),
    ]
    static let inputs = ["a", "b", "c", "d", "e", "inverter1.W"]

    static func generate(_ r: inout Random, depth: Int) -> Expr {
        if depth == 0 || r.chance(20) {
            if r.chance(50) { return .reference(inputs[r.below(inputs.count)]) }
            let choices: [Double] = [0, 1, 2, 3, 0.5, -1, -2.5, 10, 64, 1e300, 7, 0.25, 100, 15, 8]
            return .number(choices[r.below(choices.count)])
        }
        switch r.below(10) {
        case 0, 1:
            return .unary(["-", "!", "~"][r.below(3)], generate(&r, depth: depth - 1))
        case 2, 3, 4, 5:
            let level = binaryLevels[r.below(binaryLevels.count)]
            return .binary(level[r.below(level.count)], generate(&r, depth: depth - 1), generate(&r, depth: depth - 1))
        default:
            let (name, low, high) = functions[r.below(functions.count)]
            let n = low + r.below(high - low + 1)
            return .call(name, (0..<n).map { _ in generate(&r, depth: depth - 1) })
        }
    }

    /// Text with parentheses only where precedence or left associativity needs them.
    static func text(_ e: Expr) -> String {
        switch e {
        case .number(let v): return v < 0 ? "(\(v))" : "\(v)"
        case .reference(let n): return n
        case .unary(let op, let x):
            if case .binary = x { return op + " (" + text(x) + ")" }
            return op + " " + text(x)
        case .binary(let op, let l, let r):
            let p = level(op)
            var left = text(l), right = text(r)
            if case .binary(let lo, _, _) = l, level(lo) < p { left = "(" + left + ")" }
            if case .binary(let ro, _, _) = r, level(ro) <= p { right = "(" + right + ")" }
            return left + " " + op + " " + right
        case .call(let name, let args):
            return name + "(" + args.map(text).joined(separator: ", ") + ")"
        }
    }

    // MARK: the reference evaluator, written from the README's definitions

    struct Reference {
        var values: [String: Double]
        var bad: Set<String>

        func check(_ v: Double) throws(Fault) -> Double {
            if v.isNaN { throw Fault(fault: .notANumber) }
            if v.isInfinite { throw Fault(fault: .overflow) }
            return v
        }
        func int(_ v: Double) throws(Fault) -> Int64 {
            let t = v.rounded(.towardZero)
            if t < -9.223372036854775808e18 || t >= 9.223372036854775808e18 { throw Fault(fault: .overflow) }
            return Int64(t)
        }
        func index(_ v: Double) throws(Fault) -> Int64 {
            if !(v >= 0 && v < 64) { throw Fault(fault: .outOfRange) }
            return Int64(v.rounded(.towardZero))
        }
        func truthAsInteger(_ v: Double) -> Double { v.rounded(.towardZero) != 0 ? 1 : 0 }

        func eval(_ e: Expr) throws(Fault) -> Double {
            switch e {
            case .number(let v): return v
            case .reference(let n):
                if bad.contains(n) { throw Fault(fault: .badInput) }
                return values[n]!
            case .unary(let op, let x):
                let v = try eval(x)
                switch op {
                case "-": return -v
                case "!": return v == 0 ? 1 : 0
                default: return Double(~(try int(v)))
                }
            case .binary("&&", let l, let r):
                return try eval(l) == 0 ? 0 : (try eval(r) != 0 ? 1 : 0)
            case .binary("||", let l, let r):
                return try eval(l) != 0 ? 1 : (try eval(r) != 0 ? 1 : 0)
            case .binary(let op, let l, let r):
                return try binary(op, try eval(l), try eval(r))
            case .call(let name, let args):
                return try call(name, args)
            }
        }

        func binary(_ op: String, _ a: Double, _ b: Double) throws(Fault) -> Double {
            switch op {
            case "+": return try check(a + b)
            case "-": return try check(a - b)
            case "*": return try check(a * b)
            case "/": if b == 0 { throw Fault(fault: .divisionByZero) }; return try check(a / b)
            case "%": if b == 0 { throw Fault(fault: .divisionByZero) }; return try check(fmod(a, b))
            case "<": return a < b ? 1 : 0
            case "<=": return a <= b ? 1 : 0
            case ">": return a > b ? 1 : 0
            case ">=": return a >= b ? 1 : 0
            case "==": return a == b ? 1 : 0
            case "!=": return a != b ? 1 : 0
            case "&": return Double(try int(a) & int(b))
            case "|": return Double(try int(a) | int(b))
            case "^": return Double(try int(a) ^ int(b))
            case "<<": let x = try int(a); return Double(x << (try index(b)))
            case ">>": let x = try int(a); return Double(x >> (try index(b)))
            default: fatalError(op)
            }
        }

        func call(_ name: String, _ args: [Expr]) throws(Fault) -> Double {
            if name == "if" { return try eval(args[0]) != 0 ? eval(args[1]) : eval(args[2]) }
            // Every other function: arguments left to right, folds checked as they go.
            func fold(_ f: (Double, Double) throws(Fault) -> Double, _ each: (Double) -> Double = { $0 }) throws(Fault) -> Double {
                var acc = each(try eval(args[0]))
                for a in args.dropFirst() { acc = try f(acc, each(try eval(a))) }
                return acc
            }
            func all() throws(Fault) -> [Double] {
                var out: [Double] = []
                for a in args { out.append(try eval(a)) }
                return out
            }
            switch name {
            case "abs": return abs(try eval(args[0]))
            case "round": return (try eval(args[0])).rounded(.toNearestOrAwayFromZero)
            case "floor": return Foundation.floor(try eval(args[0]))
            case "ceil": return Foundation.ceil(try eval(args[0]))
            case "sqrt": return try check(Foundation.sqrt(try eval(args[0])))
            case "exp": return try check(Foundation.exp(try eval(args[0])))
            case "log": return try check(Foundation.log(try eval(args[0])))
            case "pow": let v = try all(); return try check(Foundation.pow(v[0], v[1]))
            case "min": return try fold { Swift.min($0, $1) }
            case "max": return try fold { Swift.max($0, $1) }
            case "sum": return try fold { (x, y) throws(Fault) in try check(x + y) }
            case "product": return try fold { (x, y) throws(Fault) in try check(x * y) }
            case "subtraction": let v = try all(); return try check(v[0] - v[1])
            case "ratio": let v = try all(); return try binary("/", v[0], v[1])
            case "ratio_against_sum":
                let v = try all()
                return try binary("/", v[0], try check(v[1] + v[2]))
            case "cross_product":
                var acc = 0.0
                for p in 0..<(args.count / 2) {
                    let x = try eval(args[2 * p]), y = try eval(args[2 * p + 1])
                    let term = try check(x * y)
                    acc = p == 0 ? term : try check(acc + term)
                }
                if args.count % 2 == 1 { acc = try check(acc * (try eval(args[args.count - 1]))) }
                return acc
            case "logical_or": return try fold({ Swift.max($0, $1) }, truthAsInteger)
            case "logical_and": return try fold({ Swift.min($0, $1) }, truthAsInteger)
            case "xor":
                let v = try all().map { $0.rounded(.towardZero) }
                return v.allSatisfy { $0 == v[0] } ? 1 : 0
            case "bit", "bit_n":
                let v = try all()
                let x = try int(v[0])
                return Double((x >> (try index(v[1]))) & 1)
            case "bits", "bits_m_to_n":
                let v = try all()
                let x = UInt64(bitPattern: try int(v[0]))
                let m = try index(v[1]), n = try index(v[2])
                let low = Swift.min(m, n), high = Swift.max(m, n)
                let width = high - low + 1
                return Double((x >> UInt64(low)) & (width == 64 ? ~0 : (1 << UInt64(width)) - 1))
            case "if_equal": let v = try all(); return v[0] == v[1] ? v[2] : v[3]
            case "if_range":
                let v = try all()
                if v[0] >= v[2] { return v[4] }
                if v[0] > v[1] && v[0] < v[2] { return v[3] }
                return v[0]
            case "MULTICHANNEL":
                let v = try all()
                return Double((v.firstIndex { $0 != 0 } ?? -1) + 1)
            case "MULTIBIT":
                var acc = 0.0
                for (i, a) in args.enumerated() {
                    let bitValue = truthAsInteger(try eval(a))
                    acc = i == 0 ? bitValue : try check(acc + bitValue * Foundation.pow(2, Double(i)))
                }
                return acc
            default: fatalError(name)
            }
        }
    }

    @Test func compiledEvaluationMatchesTheReferenceOnRandomExpressions() throws {
        let seed = ProcessInfo.processInfo.environment["FORMULA_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("FormulaPropertyTests seed: \(seed) (replay with FORMULA_SEED=\(seed))")
        var r = Random(state: seed)
        var compared = 0, faults = 0, refused = 0
        var seen: Set<FormulaOpcode> = []
        for _ in 0..<20_000 {
            let e = Self.generate(&r, depth: 1 + r.below(5))
            let source = Self.text(e)
            var values: [String: Double] = [:]
            var bad: Set<String> = []
            let pool: [Double] = [0, 1, -1, 2, 3.5, -7.25, 100, 0.5, 1e10, 65535, 1e300, 63, 8]
            for name in Self.inputs {
                values[name] = pool[r.below(pool.count)]
                if r.chance(5) { bad.insert(name) }
            }
            let program: FormulaProgram
            do {
                program = try FormulaCompiler.compile(source, limits: FormulaLimits(maxInstructions: 4096), resolve: Formula.slot)
            } catch {
                // Only the evaluator's fixed stack may refuse a well-formed random expression.
                #expect(error.kind == .tooDeep, "\(source): \(error)")
                refused += 1
                continue
            }
            seen.formUnion(program.instructions.map(\.opcode))
            var slots = [Double](repeating: 0, count: Formula.names.count)
            var qualities = [InputQuality](repeating: .good, count: Formula.names.count)
            for (k, v) in values { slots[Formula.slot(k)!] = v }
            for k in bad { qualities[Formula.slot(k)!] = .bad }
            let got = slots.withUnsafeBufferPointer { v in
                qualities.withUnsafeBufferPointer { q in program.evaluate(values: v, qualities: q) }
            }
            let reference = Reference(values: values, bad: bad)
            do {
                let want = try reference.eval(e)
                let close = got.value == want || abs(got.value - want) <= 1e-9 * max(abs(want), 1)
                #expect(got.isGood && close, "seed \(seed): \(source) with \(values) bad \(bad): got \(got), want \(want)")
                if !(got.isGood && close) { return }
            } catch {
                faults += 1
                #expect(got.fault == error.fault, "seed \(seed): \(source) with \(values) bad \(bad): got \(got), want \(error.fault)")
                if got.fault != error.fault { return }
            }
            compared += 1
        }
        print("FormulaPropertyTests: \(compared) expressions compared (\(faults) bad results), \(refused) refused as too deep")
        #expect(compared > 15_000)
        // Every instruction form the compiler has was checked against the reference.
        let missing = FormulaOpcode.allCases.filter { !seen.contains($0) }
        #expect(missing.isEmpty, "seed \(seed): no random expression compiled to \(missing)")
    }
}
