import EdgeCompute
import EdgeCore
import FieldBus

/// One step of the point the console's `trace` watches: a polled sample and what became of it,
/// a held sample scaled by its scale-factor point, a formula's result, a result going into a
/// window, or a closed window.
public struct PointTraceEntry: Equatable, Sendable {
    public enum Stage: UInt8, Equatable, Sendable {
        /// A polled sample (the engineering value, after `scale` and `offset`).
        case polled
        /// A polled sample scaled by its scale-factor point (`input`: the value before 10^sf).
        case scaled
        /// A derived point's formula result.
        case derived
        /// A windowed derived point's formula result, kept in the open window (not published).
        case windowInput
        /// A window closed: its aggregate, stamped with the window's start.
        case window
    }

    public var stage: Stage
    /// The sample's time stamp (wall ms).
    public var time: Int64
    /// `scaled`: the value before the scale factor; otherwise the same as `value`.
    public var input: Double
    public var value: Double
    public var quality: Quality
    /// The report filter's decision; nil when the point has no filter (reported) or for a
    /// window input (not published).
    public var decision: ReportDecision?
    public var reported: Bool
    /// `polled`, `scaled`: the register words the sample was decoded from, as received
    /// (`BusEvent.traceWords`; none for bits, formulas and protocols without registers).
    public var raw = RawWords()

    static let empty = PointTraceEntry(stage: .polled, time: 0, input: 0, value: 0, quality: .good, decision: nil, reported: false)
}

/// The steps of one watched point (`slot`, -1: none) in a fixed ring of `capacity` entries that
/// the console's snapshot copies out. Watching nothing costs one comparison per sample; the
/// ring is allocated once, with its owner.
public struct PointTrace: Sendable {
    public static var capacity: Int { 16 }
    /// The watched slot (`ComputePlan.offsets[device] + point`), or -1.
    public private(set) var slot = -1
    /// Entries written since the watch began; the last `capacity` of them are kept.
    public private(set) var written: UInt64 = 0
    var entries: [PointTraceEntry]
    /// The words of the watched slot's next polled sample, and that sample's time stamp (wall ms;
    /// `.min`: none): what `BusEvent.traceWords` brought just before it.
    var pendingWords = RawWords()
    var pendingTime: Int64 = .min
    /// The words of the watched slot's latest polled sample (`pair`), for its `polled` entry, or
    /// its `scaled` one when the sample is held until `flush`.
    var sampleWords = RawWords()

    public init() {
        entries = [PointTraceEntry](repeating: .empty, count: Self.capacity)
    }

    /// Watches `slot` (-1: nothing), starting an empty ring.
    mutating func watch(_ slot: Int) {
        self.slot = slot
        written = 0
        pendingWords = RawWords()
        pendingTime = .min
        sampleWords = RawWords()
    }

    /// Keeps the register words of the watched slot's sample stamped `time`, until it comes.
    mutating func note(_ words: RawWords, time: Int64) {
        pendingWords = words
        pendingTime = time
    }

    /// A polled sample of the watched slot, stamped `time`, arrived: its words are the noted
    /// ones when they were noted for it (same time), none otherwise (a bad read sends none; the
    /// sample of noted words may have been dropped from a full bus queue). Either way the noted
    /// words are used up.
    mutating func pair(time: Int64) {
        sampleWords = pendingTime == time ? pendingWords : RawWords()
        pendingWords = RawWords()
        pendingTime = .min
    }

    mutating func append(_ entry: PointTraceEntry) {
        entries[Int(written % UInt64(Self.capacity))] = entry
        written &+= 1
    }

    /// Entry number `n` (counted from the watch's start), if still in the ring.
    public func entry(_ n: UInt64) -> PointTraceEntry? {
        guard n < written, written - n <= UInt64(Self.capacity) else { return nil }
        return entries[Int(n % UInt64(Self.capacity))]
    }

    /// Copies `other` into this ring's storage (nothing allocated).
    mutating func copy(from other: PointTrace) {
        slot = other.slot
        written = other.written
        var i = 0
        while i < Self.capacity {
            entries[i] = other.entries[i]
            i += 1
        }
    }
}
