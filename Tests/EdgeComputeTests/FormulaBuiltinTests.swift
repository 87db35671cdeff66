import EdgeCompute
import Testing

/// Golden values for each operator, each function of the language and each EnOS Edge 2.4
/// point-mapping formula (the README's examples).
@Suite struct FormulaBuiltinTests {
    @Test(arguments: [
        ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9), ("10 - 4 - 3", 3), ("7 / 2", 3.5), ("7 % 3", 1),
        ("-7 % 3", -1), ("-2 * -3", 6), ("2 < 3", 1), ("3 <= 3", 1), ("2 > 3", 0), ("3 >= 4", 0),
        ("2 == 2", 1), ("2 != 2", 0), ("1 && 0", 0), ("2 && 3", 1), ("0 || 0", 0), ("0 || 5", 1),
        ("!0", 1), ("!7", 0), ("6 & 3", 2), ("6 | 3", 7), ("6 ^ 3", 5), ("~0", -1), ("1 << 4", 16),
        ("256 >> 4", 16), ("1 + 2 == 3 && 4 > 3", 1), ("0x1F", 31), (".5 + 1e2", 100.5), ("1.5e-3 * 1000", 1.5),
        ("2 * 3 % 4", 2), ("1 | 2 ^ 3 & 1", 3),
    ])
    func operators(_ text: String, _ expected: Double) {
        #expect(Formula.value(text) == expected, "\(text)")
    }

    @Test(arguments: [
        ("if(1, 10, 20)", 10.0), ("if(0, 10, 20)", 20), ("abs(-3.5)", 3.5), ("min(4, 2, 8)", 2), ("max(4, 2, 8)", 8),
        ("round(2.5)", 3), ("round(-2.5)", -3), ("round(2.4)", 2), ("floor(-1.5)", -2), ("ceil(1.2)", 2),
        ("sqrt(16)", 4), ("pow(2, 10)", 1024), ("exp(0)", 1), ("log(1)", 0), ("bit(5, 0)", 1), ("bit(5, 1)", 0),
        ("bit(5, 2)", 1), ("bits(0xABCD, 15, 8)", 0xAB), ("bits(0xABCD, 0, 3)", 0xD), ("bits(-1, 63, 0)", 18446744073709551615),
        ("IF(1, 2, 3)", 2),
    ])
    func functions(_ text: String, _ expected: Double) {
        #expect(Formula.value(text) == expected, "\(text)")
    }

    @Test func exponentAndLogarithmAreNatural() {
        #expect(abs(Formula.value("exp(1)")! - 2.718281828459045) < 1e-15)
        #expect(abs(Formula.value("log(100) / log(10)")! - 2) < 1e-15)
    }

    /// The EnOS Edge 2.4 formula set (support.enos-iot.com, enos-edge 2.4.0 reference/point_mapping).
    @Test(arguments: [
        ("sum(1, 2, 3.5)", 6.5),
        ("subtraction(10, 4)", 6),
        ("product(2, 3, 4)", 24),                    // coefficient last: 4 × 2 × 3
        ("cross_product(1, 2, 3, 4)", 14),           // 1·2 + 3·4
        ("cross_product(1, 2, 3, 4, 0.5)", 7),       // odd count: last is the coefficient
        ("ratio(9, 4)", 2.25),
        ("ratio_against_sum(10, 3, 2)", 2),          // 10 / (3 + 2)
        ("logical_or(0, 0, 1)", 1), ("logical_or(0, 0.5)", 0),   // read as integers
        ("logical_and(1, 2, 3)", 1), ("logical_and(1, 0.9)", 0),
        ("xor(1, 1, 1)", 1), ("xor(1, 0)", 0), ("Xor(2.7, 2.1)", 1),  // as documented: equal -> 1
        ("bit_n(0x8000, 15)", 1), ("bit_n(0x8000, 14)", 0),
        ("bits_m_to_n(0x1234, 7, 0)", 0x34), ("bits_m_to_n(0x1234, 15, 12)", 1),
        ("if_equal(3, 3, 100, 200)", 100), ("if_equal(4, 3, 100, 200)", 200),
        ("if_range(50, 10, 40, 1, 2)", 2),           // ≥ B -> D
        ("if_range(40, 10, 40, 1, 2)", 2),
        ("if_range(20, 10, 40, 1, 2)", 1),           // A < x < B -> C
        ("if_range(10, 10, 40, 1, 2)", 10),          // otherwise x
        ("MULTICHANNEL(0, 0, 1, 1)", 3), ("multichannel(0, 0)", 0),
        ("MULTIBIT(1, 0, 1, 1)", 13), ("MULTIBIT(0)", 0),
    ])
    func enosFormulas(_ text: String, _ expected: Double) {
        #expect(Formula.value(text) == expected, "\(text)")
    }

    @Test func referencesReadTheirSlots() {
        #expect(Formula.value("W * pow(10, W_SF)", ["W": 1234, "W_SF": -1]) == 123.4)
        #expect(Formula.value("inverter1.W + inverter2.W", ["inverter1.W": 1.5, "inverter2.W": 2]) == 3.5)
        #expect(Formula.value("bit(status, 3)", ["status": 8]) == 1)
    }

    @Test(arguments: [
        ("1 / 0", FormulaFault.divisionByZero), ("5 % 0", .divisionByZero), ("ratio(1, 0)", .divisionByZero),
        ("ratio_against_sum(1, 2, -2)", .divisionByZero), ("1e308 * 10", .overflow), ("exp(1000)", .overflow),
        ("sqrt(-1)", .notANumber), ("log(-1)", .notANumber), ("pow(-8, 1 / 3)", .notANumber),
        ("bit(1, 64)", .outOfRange), ("bit(1, -1)", .outOfRange), ("1 << 70", .outOfRange), ("bit(1e19, 1)", .overflow),
        ("1e300 & 1", .overflow),
    ])
    func faultsMakeTheResultBadWithAReason(_ text: String, _ fault: FormulaFault) throws {
        let r = try Formula.run(text)
        #expect(r.fault == fault, "\(text) gave \(r)")
        #expect(!r.isGood)
    }

    @Test func aBadInputMakesTheResultBad() throws {
        #expect(try Formula.run("a + b", ["a": 1, "b": 2], bad: ["b"]).fault == .badInput)
        #expect(try Formula.run("sum(a, b, c)", bad: ["c"]).fault == .badInput)
    }

    @Test func onlyTheBranchTakenIsEvaluated() throws {
        // The guard of a division: the untaken branch's division by zero does not count.
        #expect(try Formula.run("if(a != 0, b / a, 0)", ["a": 0, "b": 5]) == FormulaResult(value: 0))
        #expect(try Formula.run("if(a, b, c)", ["a": 1, "b": 5], bad: ["c"]) == FormulaResult(value: 5))
        #expect(try Formula.run("a == 0 || b / a > 1", ["a": 0]) == FormulaResult(value: 1))
        #expect(try Formula.run("a != 0 && b / a > 1", ["a": 0]) == FormulaResult(value: 0))
        // Functions other than if evaluate every argument.
        #expect(try Formula.run("if_equal(a, 0, 1, b / a)", ["a": 0]).fault == .divisionByZero)
    }

    @Test func aNonFiniteInputIsBad() throws {
        #expect(try Formula.run("a * 0", ["a": .nan]).fault == .notANumber)
        #expect(try Formula.run("a * 0", ["a": .infinity]).fault == .overflow)
    }
}
