import EdgeCompute
import Testing

/// Formulas that do not compile are refused with the kind of problem and its column.
@Suite struct FormulaCompileErrorTests {
    static func error(_ text: String, maxInstructions: Int = 64) -> FormulaError? {
        do {
            _ = try Formula.compile(text, maxInstructions: maxInstructions)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("a + nope", FormulaError.Kind.unknownReference, 5, "unknown reference \"nope\""),
        ("inverter3.W * 2", .unknownReference, 1, "unknown reference \"inverter3.W\""),
        ("a + frob(1)", .unknownFunction, 5, "unknown function \"frob\""),
        ("1 + pow(2)", .wrongArity, 5, "pow takes 2 arguments, found 1"),
        ("if(a, b)", .wrongArity, 1, "if takes 3 arguments, found 2"),
        ("xor(a)", .wrongArity, 1, "xor takes 2 to 64 arguments, found 1"),
        ("sqrt()", .wrongArity, 1, "sqrt takes 1 argument, found 0"),
        ("a +", .syntax, 4, "expected a number, a point or \"(\", found \"end of formula\""),
        ("(a + b", .syntax, 7, "expected \")\" to close the \"(\" at column 1, found \"end of formula\""),
        ("a b", .syntax, 3, "unexpected \"b\" after a complete expression"),
        ("a = 1", .unexpectedCharacter, 3, "\"=\" is not an operator; compare with \"==\""),
        ("a + $", .unexpectedCharacter, 5, "unexpected character \"$\""),
        ("1e+ 2", .malformedNumber, 1, "exponent without digits"),
        ("12abc", .malformedNumber, 1, "malformed number"),
        ("0x", .malformedNumber, 1, "\"0x\" without hexadecimal digits"),
        ("1e999", .malformedNumber, 1, "number too large for a double"),
        ("   ", .empty, 1, "empty formula"),
        ("sum(a * b, c * d, e * a, b * c, d * e, a * b, c * d)", .programTooLong, 42, "formula too long: more than 16 instructions (simplify it or split it into two points)"),
    ])
    func refusedWithKindColumnAndMessage(_ text: String, _ kind: FormulaError.Kind, _ column: Int, _ message: String) {
        let limit = kind == .programTooLong ? 16 : 64
        let e = Self.error(text, maxInstructions: limit)
        #expect(e?.kind == kind, "\(text): \(String(describing: e))")
        #expect(e?.column == column, "\(text): \(String(describing: e))")
        #expect(e?.message == message, "\(text): \(String(describing: e))")
    }

    @Test func tooManyIntermediateValuesIsRefused() {
        // a + (a + (a + ...)) keeps every left operand on the stack.
        var text = "a"
        for _ in 0..<40 { text = "a + (" + text + ")" }
        #expect(Self.error(text, maxInstructions: 1000)?.kind == .tooDeep)
    }

    @Test func hostileNestingIsRefusedNotRecursedInto() {
        let text = String(repeating: "(", count: 10_000) + "a" + String(repeating: ")", count: 10_000)
        #expect(Self.error(text)?.kind == .tooDeep)
    }

    @Test func descriptionNamesTheColumn() {
        #expect(Self.error("a + nope")?.description == "column 5: unknown reference \"nope\"")
    }

    @Test func cyclesAcrossASetAreRefusedAtTheReferenceThatClosesThem() throws {
        // Outputs: x (slot 10) = a + y, y (slot 11) = x * 2: a circle; W = a is independent.
        let programs = [try Formula.compile("a + y"), try Formula.compile("2 * x"), try Formula.compile("a")]
        do {
            _ = try FormulaDependencies.evaluationOrder(programs: programs, outputs: [10, 11, 5], names: ["x", "y", "W"])
            Issue.record("no cycle found")
        } catch {
            #expect(error.kind == .cycle)
            #expect(error.formula == 1)
            #expect(error.column == 5)
            #expect(error.message == "formulas depend on each other in a circle: x -> y -> x")
        }
    }

    @Test func aSetWithoutCyclesIsOrderedInputsFirst() throws {
        // total (x) = inverter sums (y) + a; y = b + c.
        let programs = [try Formula.compile("y + a"), try Formula.compile("b + c")]
        let order = try FormulaDependencies.evaluationOrder(programs: programs, outputs: [10, 11], names: ["x", "y"])
        #expect(order == [1, 0])
    }
}
