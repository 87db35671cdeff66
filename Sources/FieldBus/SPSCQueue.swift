import Synchronization

/// A fixed-capacity single-producer/single-consumer queue: one thread pushes, one other thread
/// pops, lock-free (acquire/release atomics), no allocation after `init`. Push fails when full.
public final class SPSCQueue<Element>: @unchecked Sendable {
    let storage: UnsafeMutablePointer<Element>
    /// Elements it holds: exactly what `init` was given (at least 1), not rounded up, since a
    /// queue of large elements is one of the largest buffers of the agent.
    public let capacity: Int
    /// Elements popped so far (written by the consumer only); the slot is this modulo `capacity`.
    let head = Atomic<Int>(0)
    /// Elements pushed so far (written by the producer only). Counts wrap only after 2^64 pushes.
    let tail = Atomic<Int>(0)

    /// A queue of `capacity` elements (at least 1).
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        storage = .allocate(capacity: self.capacity)
    }

    @inline(__always) func slot(_ count: Int) -> Int { Int(UInt(bitPattern: count) % UInt(capacity)) }

    deinit {
        while pop() != nil {}
        storage.deallocate()
    }

    /// Producer side: appends, or returns false when full.
    public func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        guard t &- h < capacity else { return false }
        (storage + slot(t)).initialize(to: element)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer side: the oldest element, or nil when empty.
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h != t else { return nil }
        let element = (storage + slot(h)).move()
        head.store(h &+ 1, ordering: .releasing)
        return element
    }
}
