/// What a window reduces its samples to.
public enum WindowOperator: Equatable, Sendable {
    case average, minimum, maximum, sum, first, last
    /// Last minus first of the window's samples; for a counter (`counterBits` > 0) the sum of the
    /// increments between them, a negative one taken modulo 2^counterBits so that a wrap-around
    /// (65535 -> 3 for 16 bits) counts as a small step forward.
    case delta(counterBits: Int)
    /// `delta` per second between the window's first and last sample.
    case rate(counterBits: Int)
    /// Trapezoidal integral over time, value × seconds (W -> J; divide by 3.6e6 for kWh). The
    /// segment between the last sample of a window and the first of the next is split at the
    /// boundary by linear interpolation, so consecutive windows add up to the whole integral.
    case integral
}

/// One closed window: its bounds (milliseconds since the epoch, `start` inclusive, `end`
/// exclusive), its value, and how many samples went into it.
public struct WindowResult: Equatable, Sendable {
    public var start: Int64
    public var end: Int64
    /// The reduced value; meaningless when `isGood` is false.
    public var value: Double
    public var samples: Int
    /// Bad samples skipped.
    public var badSamples: Int
    /// False when the window had no good sample (or, for `rate`, fewer than two, or samples at one instant).
    public var isGood: Bool
}

/// A tumbling window aligned to wall-clock boundaries (a 5-minute window closes at :00, :05, …
/// UTC) over one point's samples. Its state is a fixed handful of numbers, whatever the number
/// of samples; time comes only from the samples' time stamps and from `close(at:)`, never from a
/// clock read here.
public struct WindowAggregator: Sendable {
    public let operation: WindowOperator
    public let lengthMs: Int64

    private var windowStart: Int64 = .min
    private var count = 0
    private var bad = 0
    private var total = 0.0
    private var low = 0.0
    private var high = 0.0
    private var firstValue = 0.0
    private var firstTime: Int64 = 0
    private var lastValue = 0.0
    private var lastTime: Int64 = 0
    /// The previous good sample of the open window (for integral, the interpolated boundary
    /// point carried in from the window before).
    private var previousValue = 0.0
    private var previousTime: Int64 = .min

    public init(_ operation: WindowOperator, lengthMs: Int64) {
        self.operation = operation
        self.lengthMs = Swift.max(1, lengthMs)
    }

    /// The start of the window holding `time` (floor division, also before 1970).
    public func windowStart(of time: Int64) -> Int64 {
        let r = time % lengthMs
        return time - (r < 0 ? r + lengthMs : r)
    }

    /// Adds a sample; returns the window it closed, if its time stamp lies past the open
    /// window's end. Samples older than the open window are counted bad and otherwise ignored.
    public mutating func add(value: Double, good: Bool, at time: Int64) -> WindowResult? {
        var closed: WindowResult?
        let start = windowStart(of: time)
        if windowStart == .min {
            windowStart = start
        } else if start > windowStart {
            closed = close(before: start, nextValue: good && value.isFinite ? value : nil, nextTime: time)
        } else if start < windowStart {
            bad += 1
            return nil
        }
        guard good && value.isFinite else { bad += 1; return closed }
        accumulate(value, at: time)
        return closed
    }

    /// Closes the open window if `now` is at or past its end (a point that stopped reporting);
    /// the next window opens with the next sample.
    public mutating func close(at now: Int64) -> WindowResult? {
        guard windowStart != .min, now >= windowStart + lengthMs else { return nil }
        let r = close(before: windowStart(of: now), nextValue: nil, nextTime: now)
        windowStart = .min
        previousTime = .min
        return r
    }

    private func counterStep(_ from: Double, _ to: Double, bits: Int) -> Double {
        var step = to - from
        if bits > 0 && step < 0 {
            step += bits >= 64 ? 18446744073709551616.0 : Double(UInt64(1) << UInt64(bits))
        }
        return step
    }

    private mutating func accumulate(_ v: Double, at time: Int64) {
        if count == 0 {
            low = v; high = v; firstValue = v; firstTime = time
        }
        switch operation {
        case .integral:
            if previousTime != .min && previousTime >= windowStart {
                total += (previousValue + v) / 2 * Double(time - previousTime) / 1000
            }
        case .delta(let bits), .rate(let bits):
            if count > 0 { total += counterStep(previousValue, v, bits: bits) }
        default:
            total += v
        }
        low = Swift.min(low, v)
        high = Swift.max(high, v)
        lastValue = v
        lastTime = time
        count += 1
        previousValue = v
        previousTime = time
    }

    private mutating func close(before nextStart: Int64, nextValue: Double?, nextTime: Int64) -> WindowResult {
        let end = windowStart + lengthMs
        var value: Double
        var good = count > 0
        switch operation {
        case .average: value = count > 0 ? total / Double(count) : 0
        case .minimum: value = low
        case .maximum: value = high
        case .sum: value = total
        case .first: value = firstValue
        case .last: value = lastValue
        case .delta: value = total
        case .rate:
            good = count >= 2 && lastTime > firstTime
            value = good ? total / (Double(lastTime - firstTime) / 1000) : 0
        case .integral:
            value = total
            // Split the segment that crosses `end` when the next sample opens the very next window.
            if let next = nextValue, count > 0, nextStart == end, nextTime > lastTime {
                let atEnd = lastValue + (next - lastValue) * Double(end - lastTime) / Double(nextTime - lastTime)
                value += (lastValue + atEnd) / 2 * Double(end - lastTime) / 1000
                carryIn = (atEnd, end)
            } else {
                carryIn = nil
            }
        }
        let result = WindowResult(start: windowStart, end: end, value: good ? value : 0,
                                  samples: count, badSamples: bad, isGood: good)
        windowStart = nextStart
        count = 0
        bad = 0
        total = 0
        if case .integral = operation, let (v, t) = carryIn {
            // The new window starts with the interpolated boundary point.
            previousValue = v
            previousTime = t
        } else {
            previousTime = .min
        }
        return result
    }

    private var carryIn: (Double, Int64)?
}
