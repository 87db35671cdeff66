// FormulaBench: evaluations per second of the formulas in formulas.tsv (issue 13), with the
// allocations per evaluation. Host-only (Foundation allowed). Prints "name<TAB>evaluations/s<TAB>
// checksum<TAB>allocations" per formula; Tools/bench.d/70-formula.sh runs Lua 5.4 on the same
// formulas (bench.lua) in the same run and prints the table with the ratio.
import EdgeCompute
import Foundation
import TestSupport

let arguments = ProcessInfo.processInfo.arguments
let file = arguments.count > 1 ? arguments[1] : "Benchmarks/FormulaBench/formulas.tsv"
let n = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000

let names = ["W", "W_SF", "inverter1.W", "inverter2.W", "inverter3.W", "A", "status", "P", "Q", "T1", "T2", "T3", "fan"]
let initial: [Double] = [1234, -1, 1500, 1600, 1700, 5, 0xB5, 3000, 400, 85, 82, 90, 0]
func slot(_ name: String) -> Int? { names.firstIndex(of: name) }

guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
    FileHandle.standardError.write("FormulaBench: cannot read \(file)\n".data(using: .utf8)!)
    exit(1)
}
for line in text.split(separator: "\n") where !line.hasPrefix("#") {
    let fields = line.split(separator: "\t").map(String.init)
    guard fields.count == 3 else { continue }
    let program: FormulaProgram
    do {
        program = try FormulaCompiler.compile(fields[1], resolve: slot)
    } catch {
        FileHandle.standardError.write("FormulaBench: \(fields[0]): \(error)\n".data(using: .utf8)!)
        exit(1)
    }
    var values = initial
    let qualities = [InputQuality](repeating: .good, count: names.count)
    var sum = 0.0
    var seconds = 0.0
    let counted = values.withUnsafeMutableBufferPointer { v in
        qualities.withUnsafeBufferPointer { q in
            AllocationCounter.count {
                // Processor time, as Lua's os.clock() measures it: on a shared machine wall time would
                // count the time other processes hold the cores against whichever side ran then.
                let start = clock()
                for i in 1...n {
                    let x = Double(i % 1000)
                    v[0] = x; v[2] = x; v[5] = Double(i % 7); v[6] = Double(i % 256); v[7] = x; v[9] = Double(i % 100)
                    sum += program.evaluate(values: UnsafeBufferPointer(v), qualities: q).value
                }
                seconds = Double(clock() - start) / Double(CLOCKS_PER_SEC)
            }
        }
    }
    print("\(fields[0])\t\(Int(Double(n) / seconds))\t\(String(format: "%.6g", sum))\t\(counted.allocations)")
}
