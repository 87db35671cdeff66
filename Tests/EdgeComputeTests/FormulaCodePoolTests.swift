import EdgeCompute
import Testing

/// Many programs in one array evaluate as they do alone, and a handle that designates no whole
/// program of the pool is a bad result, not a stray read.
@Suite struct FormulaCodePoolTests {
    @Test func pooledProgramsEvaluateAsTheyDoAlone() throws {
        let texts = ["W * pow(10, W_SF)", "if(a != 0, b / a, 0)", "a > 1 && b < 2", "max(a, b, c) - min(x, y)", "7"]
        var pool = FormulaCodePool()
        let programs = try texts.map { (t: String) throws(FormulaError) -> FormulaProgram in try Formula.compile(t) }
        let handles = programs.map { pool.add($0) }
        pool.shrink()
        let values: [Double] = [2, 3, 4, 5, 6, 1234, -1, 0, 0, 0, 7, 8]
        let qualities = [InputQuality](repeating: .good, count: values.count)
        values.withUnsafeBufferPointer { v in
            qualities.withUnsafeBufferPointer { q in
                for (p, h) in zip(programs, handles) {
                    #expect(pool.evaluate(h, values: v, qualities: q) == p.evaluate(values: v, qualities: q))
                }
                #expect(pool.evaluate(handles[0], values: UnsafeBufferPointer(rebasing: v[0..<3]), qualities: q) == .bad(.badInput),
                        "buffers shorter than the program's inputs")
            }
        }
    }

    @Test func aHandleOutsideThePoolOrNotEndingAProgramIsBad() throws {
        var pool = FormulaCodePool()
        let h = pool.add(try Formula.compile("a + b * c"))
        let values = [Double](repeating: 1, count: 12)
        let qualities = [InputQuality](repeating: .good, count: 12)
        values.withUnsafeBufferPointer { v in
            qualities.withUnsafeBufferPointer { q in
                #expect(pool.evaluate(.none, values: v, qualities: q) == .bad(.badInput))
                #expect(FormulaCodePool().evaluate(h, values: v, qualities: q) == .bad(.badInput), "another pool's handle")
                #expect(pool.evaluate(h, values: v, qualities: q).value == 2)
            }
        }
    }
}
