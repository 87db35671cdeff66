import EdgeCore

/// A reader's position in a ring log: the next sequence number it wants, plus where that record
/// was found last time (so sequential reads do not search). Any number of cursors can read one
/// log; a cursor whose records were dropped moves on to the oldest record still there.
public struct RingLogCursor: Equatable, Sendable {
    /// The sequence number the next `read` returns (or the first one after it still in the log).
    public internal(set) var nextSequence: UInt64
    var sector = -1
    var offset = 0
    var sectorSequence: UInt64 = 0

    public init(from sequence: UInt64) { nextSequence = max(sequence, 1) }
}

/// One record handed to a reader: its sequence number, its timestamp and how many payload bytes
/// were copied into the caller's buffer.
public struct RingLogRecord: Equatable, Sendable {
    public var sequence: UInt64
    public var timestamp: WallTime
    public var length: Int
}
