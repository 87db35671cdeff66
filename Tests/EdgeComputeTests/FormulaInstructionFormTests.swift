import EdgeCompute
import Foundation
import Testing

/// The compiler's instruction forms: operands fused into the operation that uses them, constant
/// subtrees folded, `pow(10, x)` and constant bit fields specialised, and each form giving the
/// value and the fault the plain form gives.
@Suite struct FormulaInstructionFormTests {
    static func opcodes(_ text: String) throws -> [FormulaOpcode] {
        try Formula.compile(text).instructions.map(\.opcode)
    }

    @Test(arguments: [
        ("W / 1000", [FormulaOpcode.load, .divideConstant, .return]),
        ("W - 3", [.load, .addConstant, .return]),
        ("10 - W", [.load, .constantSubtract, .return]),
        ("10 / W", [.load, .constantDivide, .return]),
        ("a + b", [.load, .addSlot, .return]),
        ("sum(a, b, c) / 1000", [.load, .addSlot, .addSlot, .divideConstant, .return]),
        ("a * b - c / d", [.load, .multiplySlot, .load, .divideSlot, .subtract, .return]),
        ("3 < a", [.load, .greaterConstant, .return]),
        ("min(a, b)", [.load, .binarySlot, .return]),
        ("2 << a", [.load, .constantBinary, .return]),
        ("pow(10, W_SF)", [.load, .powerOfTen, .return]),
        ("bits_m_to_n(status, 7, 4) + bit_n(status, 0)", [.load, .extractBits, .load, .extractBits, .add, .return]),
        ("2 * 3 + a", [.load, .addConstant, .return]),
        ("(1 + 2) * (3 + 4)", [.constant, .return]),
        ("if(1 > 2, a, b)", [.load, .return]),
        ("if(a != 0, b / a, 0)", [.load, .jumpIfZero, .load, .divideSlot, .jump, .constant, .return]),
        ("a > 1 && b < 2", [.load, .greaterConstant, .jumpIfZero, .load, .lessConstant, .jump, .constant, .return]),
    ])
    func operandsAreFusedAndConstantsFolded(_ text: String, _ expected: [FormulaOpcode]) throws {
        let program = try Formula.compile(text)
        #expect(program.instructions.map(\.opcode) == expected, "\(text): \(program.instructions)")
    }

    @Test func foldedConstantsKeepTheirValue() throws {
        let program = try Formula.compile("2 * 3 + a")
        #expect(program.instructions[1].constant == 6)
        #expect(Formula.value("2 * 3 + a", ["a": 1]) == 7)
        #expect(Formula.value("-(2 - 5) * a", ["a": 2]) == 6)
    }

    @Test func powerOfTenIsPowForEveryExponent() throws {
        for k in -30...30 {
            let want = Foundation.pow(10, Double(k))
            #expect(Formula.value("pow(10, W_SF)", ["W_SF": Double(k)]) == want, "10^\(k)")
            #expect(Formula.value("pow(10, W_SF)", ["W_SF": Double(k) + 0.5]) == Foundation.pow(10, Double(k) + 0.5))
        }
        #expect(try Formula.run("pow(10, W_SF)", ["W_SF": 400]).fault == .overflow)
        #expect(Formula.value("W * pow(10, W_SF)", ["W": 1234, "W_SF": -2]) == 1234 * 0.01)
    }

    @Test func constantBitNumbersGiveTheSameBitsAsComputedOnes() throws {
        for (m, n) in [(7, 4), (4, 7), (0, 0), (63, 0), (15, 8), (62, 63)] {
            let x = Double(0xABCD_1234_5678)
            let constant = Formula.value("bits(x, \(m), \(n))", ["x": x])
            #expect(constant != nil && constant == Formula.value("bits(x, a, b)", ["x": x, "a": Double(m), "b": Double(n)]))
            #expect(Formula.value("bit(x, \(m))", ["x": x]) == Formula.value("bit(x, a)", ["x": x, "a": Double(m)]))
        }
        #expect(try Formula.run("bits(x, 64, 0)", ["x": 1]).fault == .outOfRange)
        #expect(try Formula.run("bit(x, 2)", ["x": 1e30]).fault == .overflow)
    }

    @Test func faultsOfConstantSubtreesAreLeftToRunTime() throws {
        #expect(try Formula.run("a + 1 / 0").fault == .divisionByZero)
        #expect(try Formula.run("sqrt(-1) + a").fault == .notANumber)
        #expect(Formula.value("if(a, 1, 1 / 0)", ["a": 1]) == 1)
        #expect(try Formula.run("if(a, 1, 1 / 0)", ["a": 0]).fault == .divisionByZero)
        #expect(try Formula.run("W / 0").fault == .divisionByZero)
        #expect(try Formula.run("1 / W", ["W": 0]).fault == .divisionByZero)
        #expect(try Formula.run("a / b", ["a": 1, "b": 0]).fault == .divisionByZero)
        #expect(try Formula.run("a * b", ["a": 1e300, "b": 1e300]).fault == .overflow)
        #expect(try Formula.run("a + b", ["a": 1], bad: ["b"]).fault == .badInput)
    }

    @Test func aFaultingConstantOperationAtTheDeepestPointIsRefusedAsTooDeep() throws {
        // 31 pending left operands, then `1 / 0`: both constants on the stack need 33 places.
        let deep = String(repeating: "a + (", count: 31) + "1 / 0" + String(repeating: ")", count: 31)
        #expect(throws: FormulaError.self) { try Formula.compile(deep, maxInstructions: 1000) }
        do { _ = try Formula.compile(deep, maxInstructions: 1000) } catch { #expect(error.kind == .tooDeep) }
        let fits = String(repeating: "a + (", count: 30) + "1 / 0" + String(repeating: ")", count: 30)
        #expect(try Formula.run(fits).fault == .divisionByZero)
    }
}
