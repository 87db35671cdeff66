/// A fixed-capacity FIFO of pending writes, sized at start-up: enqueueing never allocates and
/// fails (returns false) when full.
public struct WriteQueue: Sendable {
    var slots: [WriteCommand]
    var head = 0
    public private(set) var count = 0

    public init(capacity: Int) {
        slots = [WriteCommand](repeating: WriteCommand(id: 0, device: 0, point: 0, value: .bool(false)),
                               count: max(capacity, 1))
    }

    public var capacity: Int { slots.count }
    public var isEmpty: Bool { count == 0 }

    /// Appends a write; false when the queue is full.
    public mutating func push(_ command: WriteCommand) -> Bool {
        guard count < slots.count else { return false }
        slots[(head + count) % slots.count] = command
        count += 1
        return true
    }

    /// The oldest write, removed.
    public mutating func pop() -> WriteCommand? {
        guard count > 0 else { return nil }
        let command = slots[head]
        head = (head + 1) % slots.count
        count -= 1
        return command
    }
}
