/// Orders a set of formulas whose results feed each other (a derived point read by another
/// formula), and refuses circles. Runs at configuration load.
public enum FormulaDependencies {
    /// The order in which to evaluate `programs` so that each comes after the formulas whose
    /// outputs it reads. `outputs[i]` is the input slot formula i writes its result to;
    /// `names[i]` names it in errors. Throws `.cycle` with the formula (`formula`) and the column
    /// of the reference that closes the circle, and the circle in words (`a -> b -> a`).
    public static func evaluationOrder(programs: [FormulaProgram], outputs: [Int],
                                       names: [String]) throws(FormulaError) -> [Int] {
        var writer: [Int: Int] = [:]
        for (i, slot) in outputs.enumerated() { writer[slot] = i }
        // 0 unvisited, 1 on the current path, 2 done.
        var state = [UInt8](repeating: 0, count: programs.count)
        var order: [Int] = []
        var path: [Int] = []

        func visit(_ f: Int) throws(FormulaError) {
            state[f] = 1
            path.append(f)
            for (slot, column) in programs[f].references {
                guard let g = writer[slot] else { continue }
                if state[g] == 1 {
                    var words = ""
                    var inCycle = false
                    for p in path where inCycle || p == g {
                        inCycle = true
                        words += names[p] + " -> "
                    }
                    throw FormulaError(.cycle, column: column, "formulas depend on each other in a circle: " + words + names[g],
                                       formula: f)
                }
                if state[g] == 0 { try visit(g) }
            }
            path.removeLast()
            state[f] = 2
            order.append(f)
        }
        for f in 0..<programs.count where state[f] == 0 { try visit(f) }
        return order
    }
}
