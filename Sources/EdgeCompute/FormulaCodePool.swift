/// Where one formula's code lives in a `FormulaCodePool`: the first instruction, the number of
/// instructions (ending with `.return`) and the input slots the buffers must hold.
public struct FormulaCodeHandle: Equatable, Sendable {
    public let start: UInt32
    public let count: UInt32
    public let inputCount: UInt32

    /// A handle that designates no code (evaluates as bad).
    public static let none = FormulaCodeHandle(start: 0, count: 0, inputCount: 0)
}

/// Many compiled formulas in one array: one allocation for a whole set of small formulas (the
/// alarm conditions of a configuration) instead of three per `FormulaProgram`. Jumps are relative,
/// so a program's code keeps the invariants `FormulaProgram.run` relies on when it is copied here.
/// Built at load (allocates); `evaluate` allocates nothing and never traps.
public struct FormulaCodePool: Equatable, Sendable {
    public private(set) var code: [FormulaInstruction] = []

    public init() {}

    /// Copies `program` into the pool.
    public mutating func add(_ program: FormulaProgram) -> FormulaCodeHandle {
        let handle = FormulaCodeHandle(start: UInt32(code.count), count: UInt32(program.instructions.count),
                                       inputCount: UInt32(program.inputCount))
        code.append(contentsOf: program.instructions)
        return handle
    }

    /// Drops spare capacity (after the last `add`).
    public mutating func shrink() {
        var copy: [FormulaInstruction] = []
        copy.reserveCapacity(code.count)
        copy.append(contentsOf: code)
        code = copy
    }

    /// Bytes the pool holds.
    public var memoryBytes: Int { code.capacity * MemoryLayout<FormulaInstruction>.stride }

    /// Runs the formula `handle` (one this pool returned) like `FormulaProgram.evaluate`: a bad
    /// result with `badInput` when the buffers are shorter than its inputs or the handle does not
    /// designate a whole program of this pool.
    public func evaluate(_ handle: FormulaCodeHandle, values: UnsafeBufferPointer<Double>,
                         qualities: UnsafeBufferPointer<InputQuality>) -> FormulaResult {
        let start = Int(handle.start), count = Int(handle.count), inputs = Int(handle.inputCount)
        guard count > 0, start + count <= code.count, code[start + count - 1].opcode == .return,
              values.count >= inputs, qualities.count >= inputs else { return .bad(.badInput) }
        var none = 0.0
        var noQuality = InputQuality.bad
        return withUnsafePointer(to: &none) { noValue in
            withUnsafePointer(to: &noQuality) { noQ in
                code.withUnsafeBufferPointer { c in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: FormulaProgram.stackCapacity) { stack in
                        FormulaProgram.run(c.baseAddress! + start, values.baseAddress ?? noValue,
                                           qualities.baseAddress ?? noQ, stack.baseAddress!)
                    }
                }
            }
        }
    }
}
