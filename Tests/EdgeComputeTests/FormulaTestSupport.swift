import EdgeCompute

/// Compiles and evaluates formulas over named inputs for the tests.
enum Formula {
    static let names = ["a", "b", "c", "d", "e", "W", "W_SF", "status", "inverter1.W", "inverter2.W", "x", "y"]

    static func slot(_ name: String) -> Int? { names.firstIndex(of: name) }

    static func compile(_ text: String, maxInstructions: Int = 64) throws(FormulaError) -> FormulaProgram {
        try FormulaCompiler.compile(text, limits: FormulaLimits(maxInstructions: maxInstructions), resolve: slot)
    }

    /// Evaluates `text` with `inputs` (missing names are 0) and the names in `bad` of bad quality.
    static func run(_ text: String, _ inputs: [String: Double] = [:], bad: Set<String> = []) throws(FormulaError) -> FormulaResult {
        let program = try compile(text)
        var values = [Double](repeating: 0, count: names.count)
        var qualities = [InputQuality](repeating: .good, count: names.count)
        for (k, v) in inputs { values[slot(k)!] = v }
        for k in bad { qualities[slot(k)!] = .bad }
        return values.withUnsafeBufferPointer { v in
            qualities.withUnsafeBufferPointer { q in program.evaluate(values: v, qualities: q) }
        }
    }

    /// The value of a formula expected to be good, or nil (with the fault in the test output).
    static func value(_ text: String, _ inputs: [String: Double] = [:]) -> Double? {
        do {
            let r = try run(text, inputs)
            return r.isGood ? r.value : nil
        } catch {
            return nil
        }
    }
}
