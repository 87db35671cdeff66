import EdgeCompute

/// What the rules read, in the caller's buffers (the same slot layout the rules were compiled
/// with): the latest value and quality of each input slot, the wall time in milliseconds of each
/// slot's latest good sample (`Int64.min` if none yet), and whether each device is online.
public struct AlarmInputs {
    public var values: UnsafeBufferPointer<Double>
    public var qualities: UnsafeBufferPointer<InputQuality>
    public var times: UnsafeBufferPointer<Int64>
    public var online: UnsafeBufferPointer<Bool>

    public init(values: UnsafeBufferPointer<Double>, qualities: UnsafeBufferPointer<InputQuality>,
                times: UnsafeBufferPointer<Int64>, online: UnsafeBufferPointer<Bool>) {
        self.values = values
        self.qualities = qualities
        self.times = times
        self.online = online
    }
}

/// A raise or a clear: what goes into the ring log (`AlarmRecord`) and on to the cloud.
public struct AlarmTransition: Equatable, Sendable {
    public enum Kind: UInt8, Equatable, Sendable {
        case raise = 1
        case clear = 2
    }

    /// The rule's index in its set.
    public var rule: Int
    public var kind: Kind
    /// Raise: when the condition was met (the start of the on-delay). Clear: when it stopped being
    /// met (the start of the off-delay).
    public var timeMilliseconds: Int64

    public init(rule: Int, kind: Kind, timeMilliseconds: Int64) {
        self.rule = rule
        self.kind = kind
        self.timeMilliseconds = timeMilliseconds
    }
}
