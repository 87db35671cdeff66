import CMallocCounter

/// Heap allocations made by the current thread while running a closure: the measuring stick of
/// the "0 allocations in the steady state" tests and benchmarks. Run the closure once before
/// measuring so that one-time lazy initialisation is not counted.
public struct AllocationCount: Equatable, CustomStringConvertible {
    public var allocations: UInt64
    public var reallocations: UInt64
    public var frees: UInt64
    public var bytes: UInt64
    /// Usable bytes of the blocks allocated and not freed on this thread: what the closure still
    /// holds when it returns, with malloc's rounding (other threads' allocations do not count).
    public var liveBytes: Int64 = 0

    public var description: String {
        "\(allocations) allocations, \(reallocations) reallocations, \(frees) frees, \(bytes) bytes, \(liveBytes) live"
    }
}

public enum AllocationCounter {
    /// True when the counting allocator is the process's malloc.
    public static var isActive: Bool { edge_malloc_counter_is_active() == 1 }

    /// Counts what `body` allocates on this thread. Keep `body` synchronous.
    public static func count<E: Error>(_ body: () throws(E) -> Void) throws(E) -> AllocationCount {
        edge_malloc_counter_start()
        do {
            try body()
        } catch {
            _ = edge_malloc_counter_stop()
            throw error
        }
        let c = edge_malloc_counter_stop()
        return AllocationCount(allocations: c.allocations, reallocations: c.reallocations,
                               frees: c.frees, bytes: c.bytes, liveBytes: c.live)
    }
}
