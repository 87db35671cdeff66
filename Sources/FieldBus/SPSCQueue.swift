import Synchronization

/// A fixed-capacity single-producer/single-consumer queue: one thread pushes, one other thread
/// pops, lock-free (acquire/release atomics), no allocation after `init`. Push fails when full.
public final class SPSCQueue<Element>: @unchecked Sendable {
    let storage: UnsafeMutablePointer<Element>
    let mask: Int
    /// Next slot to pop (written by the consumer only).
    let head = Atomic<Int>(0)
    /// Next slot to push (written by the producer only).
    let tail = Atomic<Int>(0)

    /// A queue of at least `capacity` elements (rounded up to a power of two).
    public init(capacity: Int) {
        var size = 1
        while size < max(capacity, 1) { size <<= 1 }
        storage = .allocate(capacity: size)
        mask = size - 1
    }

    deinit {
        while pop() != nil {}
        storage.deallocate()
    }

    public var capacity: Int { mask + 1 }

    /// Producer side: appends, or returns false when full.
    public func push(_ element: Element) -> Bool {
        let t = tail.load(ordering: .relaxed)
        let h = head.load(ordering: .acquiring)
        guard t &- h <= mask else { return false }
        (storage + (t & mask)).initialize(to: element)
        tail.store(t &+ 1, ordering: .releasing)
        return true
    }

    /// Consumer side: the oldest element, or nil when empty.
    public func pop() -> Element? {
        let h = head.load(ordering: .relaxed)
        let t = tail.load(ordering: .acquiring)
        guard h != t else { return nil }
        let element = (storage + (h & mask)).move()
        head.store(h &+ 1, ordering: .releasing)
        return element
    }
}
