/// The last records appended to the ring log, kept in RAM by sequence number (slot = sequence
/// modulo the slot count, so a newer record overwrites an older one) so that live data can go out
/// as soon as it is appended, before the group commit makes it durable. Nothing here decides what
/// leaves the log: the log is acknowledged only up to its durable sequence (`StoreAndForward`).
/// A record lost in a power cut before its sync was sent at most: delivered, never missing.
/// Storage is allocated at `init`; `keep` and `copy` allocate nothing.
struct RecentRecords: ~Copyable {
    let slots: Int
    let slotBytes: Int
    let storage: UnsafeMutableRawBufferPointer
    /// Per slot: the sequence it holds (0: none) and its length.
    let sequences: UnsafeMutableBufferPointer<UInt64>
    let lengths: UnsafeMutableBufferPointer<Int>

    init(slots: Int, slotBytes: Int) {
        self.slots = max(slots, 1)
        self.slotBytes = slotBytes
        storage = .allocate(byteCount: self.slots * slotBytes, alignment: 8)
        sequences = .allocate(capacity: self.slots)
        sequences.initialize(repeating: 0)
        lengths = .allocate(capacity: self.slots)
        lengths.initialize(repeating: 0)
    }

    deinit {
        storage.deallocate()
        sequences.deallocate()
        lengths.deallocate()
    }

    /// Keeps record `sequence` (dropped if larger than a slot: it is read from the log once durable).
    func keep(sequence: UInt64, bytes: UnsafeRawBufferPointer) {
        let slot = Int(sequence % UInt64(slots))
        guard bytes.count <= slotBytes, let base = bytes.baseAddress else {
            sequences[slot] = 0
            return
        }
        storage.baseAddress!.advanced(by: slot * slotBytes).copyMemory(from: base, byteCount: bytes.count)
        sequences[slot] = sequence
        lengths[slot] = bytes.count
    }

    /// True when record `sequence` is held.
    func contains(_ sequence: UInt64) -> Bool {
        sequence > 0 && sequences[Int(sequence % UInt64(slots))] == sequence
    }

    /// Copies record `sequence` into `buffer`; its length, or nil when it is not held (or does not fit).
    func copy(_ sequence: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard contains(sequence) else { return nil }
        let slot = Int(sequence % UInt64(slots))
        let n = lengths[slot]
        guard n <= buffer.count else { return nil }
        buffer.baseAddress!.copyMemory(from: storage.baseAddress!.advanced(by: slot * slotBytes), byteCount: n)
        return n
    }

    /// Forgets everything (the log was reopened, or sequences may be reused).
    func clear() {
        for i in 0..<slots { sequences[i] = 0 }
    }
}
