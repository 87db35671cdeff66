/// Report-by-exception settings of one point. All zero: every sample is reported.
public struct ReportFilterSettings: Equatable, Sendable {
    /// A change larger than this (absolute, in the point's unit) is reported; 0 = any change.
    public var deadband: Double
    /// A change larger than this percentage of the last reported value's magnitude is reported
    /// (used when `deadband` is 0); 0 = off.
    public var deadbandPercent: Double
    /// No two reports closer than this, except for a quality change; 0 = off.
    public var minReportMs: Int64
    /// Heartbeat: a sample arriving this long after the last report is reported even within
    /// the deadband (it is a fresh sample, so the value and its time stamp are both current); 0 = off.
    public var maxReportMs: Int64

    public init(deadband: Double = 0, deadbandPercent: Double = 0, minReportMs: Int64 = 0, maxReportMs: Int64 = 0) {
        self.deadband = deadband
        self.deadbandPercent = deadbandPercent
        self.minReportMs = minReportMs
        self.maxReportMs = maxReportMs
    }
}

/// Whether a sample goes out, and why: what the console's `trace` prints for it.
public enum ReportDecision: Equatable, Sendable {
    public enum Reason: UInt8, Equatable, Sendable {
        // Reported.
        /// The point's first sample.
        case first
        /// Changed by more than the deadband.
        case changed
        /// Good became bad or bad became good.
        case qualityChanged
        /// maxReportMs passed since the last report; this fresh sample confirms the value.
        case heartbeat
        // Suppressed.
        /// Within the deadband of the last reported value.
        case deadband
        /// Less than minReportMs after the last report.
        case minInterval
        /// Bad again, as already reported.
        case badInput

        public var name: String {
            switch self {
            case .first: return "first sample"
            case .changed: return "changed beyond the deadband"
            case .qualityChanged: return "quality changed"
            case .heartbeat: return "heartbeat"
            case .deadband: return "within the deadband"
            case .minInterval: return "min interval"
            case .badInput: return "bad input"
            }
        }
    }

    case report(Reason)
    case suppress(Reason)

    public var isReported: Bool { if case .report = self { return true } else { return false } }
}

/// Counts of what one filter decided, for the ring log's statistics: suppressed samples are
/// counted, not silently lost.
public struct ReportFilterStatistics: Equatable, Sendable {
    public var reported = 0
    public var suppressedDeadband = 0
    public var suppressedMinInterval = 0
    public var suppressedBad = 0
    public init() {}
}

/// Report-by-exception for one point: decides per sample whether it is reported. It only ever
/// passes or holds back the sample in hand, so what goes out always carries the value and time
/// stamp of a real sample: never a stale value with a new time stamp. A quality change is always
/// reported, whatever the intervals. Time comes from the samples' time stamps (milliseconds).
public struct ReportFilter: Sendable {
    public var settings: ReportFilterSettings
    public private(set) var statistics = ReportFilterStatistics()
    private var lastValue = 0.0
    private var lastGood = true
    private var lastTime: Int64 = 0
    private var hasReported = false

    public init(_ settings: ReportFilterSettings) { self.settings = settings }

    /// Decides for the sample (`value`, `good`, `time`), and remembers it when it is reported.
    public mutating func decide(value: Double, good: Bool, at time: Int64) -> ReportDecision {
        let d = decision(value: value, good: good, at: time)
        switch d {
        case .report:
            statistics.reported += 1
            lastValue = value
            lastGood = good
            lastTime = time
            hasReported = true
        case .suppress(let reason):
            switch reason {
            case .minInterval: statistics.suppressedMinInterval += 1
            case .badInput: statistics.suppressedBad += 1
            default: statistics.suppressedDeadband += 1
            }
        }
        return d
    }

    private func decision(value: Double, good: Bool, at time: Int64) -> ReportDecision {
        guard hasReported else { return .report(.first) }
        if good != lastGood { return .report(.qualityChanged) }
        let elapsed = time > lastTime ? time - lastTime : 0
        let heartbeatDue = settings.maxReportMs > 0 && elapsed >= settings.maxReportMs
        if elapsed < settings.minReportMs { return .suppress(.minInterval) }
        if !good { return heartbeatDue ? .report(.heartbeat) : .suppress(.badInput) }
        let change = Swift.abs(value - lastValue)
        let threshold = settings.deadband > 0 ? settings.deadband
            : settings.deadbandPercent > 0 ? settings.deadbandPercent / 100 * Swift.abs(lastValue) : 0
        if change > threshold || (threshold == 0 && value != lastValue) { return .report(.changed) }
        if heartbeatDue { return .report(.heartbeat) }
        return .suppress(.deadband)
    }
}
