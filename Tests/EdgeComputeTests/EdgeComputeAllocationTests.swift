import EdgeCompute
import Testing
import TestSupport

/// Once compiled, formulas, windows and report filters allocate nothing per sample.
@Suite struct EdgeComputeAllocationTests {
    @Test func evaluationWindowsAndFiltersAllocateNothing() throws {
        #expect(AllocationCounter.isActive)
        let programs = try [
            "W * pow(10, W_SF)", "sum(inverter1.W, inverter2.W) / 1000", "if(a != 0, b / a, 0)",
            "bits_m_to_n(status, 7, 4) + bit_n(status, 0)", "cross_product(a, b, c, d, 0.5)",
            "MULTIBIT(a > 1, b > 1, c > 1)", "if_range(x, 10, 40, 1, 2)", "min(a, b, c) + max(a, b, c) + abs(x) + sqrt(abs(y))",
            "a / b",  // faults (division by zero) when b is 0: the fault path allocates nothing either
        ].map { (t: String) throws(FormulaError) -> FormulaProgram in try Formula.compile(t) }
        var values = [Double](repeating: 1, count: Formula.names.count)
        var qualities = [InputQuality](repeating: .good, count: Formula.names.count)
        var average = WindowAggregator(.average, lengthMs: 60_000)
        var integral = WindowAggregator(.integral, lengthMs: 60_000)
        var rate = WindowAggregator(.rate(counterBits: 16), lengthMs: 60_000)
        var filter = ReportFilter(ReportFilterSettings(deadbandPercent: 0.5, minReportMs: 100, maxReportMs: 5_000))
        var checksum = 0.0
        var bad = 0
        // One round: 1,000 samples through every formula, three windows and a filter.
        let round = { (k: Int) in
            for i in 0..<1000 {
                let t = Int64(k * 1000 + i) * 250
                values[0] = Double(i % 7); values[1] = Double(i % 3); values[5] = 1234 + Double(i); values[6] = -1
                qualities[2] = i % 50 == 0 ? .bad : .good
                for j in 0..<programs.count {
                    let r = values.withUnsafeBufferPointer { v in
                        qualities.withUnsafeBufferPointer { q in programs[j].evaluate(values: v, qualities: q) }
                    }
                    if r.isGood { checksum += r.value } else { bad += 1 }
                    checksum += average.add(value: r.value, good: r.isGood, at: t)?.value ?? 0
                    checksum += integral.add(value: r.value, good: r.isGood, at: t)?.value ?? 0
                    checksum += rate.add(value: r.value, good: r.isGood, at: t)?.value ?? 0
                    if filter.decide(value: r.value, good: r.isGood, at: t).isReported { checksum += 1 }
                }
            }
        }
        round(0)  // warm up
        let counted = AllocationCounter.count { round(1) }
        #expect(filter.statistics.reported > 0)
        #expect(counted.allocations == 0, "\(counted)")
        #expect(bad > 0 && checksum != 0)
    }
}
