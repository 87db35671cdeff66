/// The condition of an alarm as written in the configuration: an expression of the formula
/// language (EdgeCompute) or one of the shorthands. High and low limits compile to formulas of
/// that language (`TEMP > 80`, held while `TEMP > 75`); rate of change, state change, stale data
/// and offline compare over time, which a formula of one sample cannot, and run natively.
public enum AlarmConditionDefinition: Equatable, Sendable {
    /// Met while the formula is not 0.
    case expression(String)
    /// Met when `point` > `limit`; once active, held until `point` ≤ `limit - hysteresis`.
    case high(point: String, limit: Double, hysteresis: Double)
    /// Met when `point` < `limit`; once active, held until `point` ≥ `limit + hysteresis`.
    case low(point: String, limit: Double, hysteresis: Double)
    /// Met when `point` changes by more than `perSecond` per second between two consecutive samples.
    case rateOfChange(point: String, perSecond: Double)
    /// Met at the sample where `point` differs from its previous good value (a momentary condition:
    /// hold it with an off-delay).
    case stateChange(point: String)
    /// Met when `point` has had no good sample for more than `afterMilliseconds`.
    case stale(point: String, afterMilliseconds: UInt32)
    /// Met while the device is offline.
    case offline
}

/// Where an output parameter of the TSL event takes its value from.
public enum AlarmOutputSource: Equatable, Sendable {
    /// The point's value when the alarm was raised or cleared.
    case point(String)
    /// The rendered message template.
    case message
    /// The level's name (`"major"`).
    case level
    /// 1 for a raise, 0 for a clear.
    case state
    /// The rule's identifier.
    case rule
}

/// One output parameter of the TSL event: its identifier in the model and its source.
public struct AlarmOutputDefinition: Equatable, Sendable {
    public var identifier: String
    public var source: AlarmOutputSource

    public init(_ identifier: String, _ source: AlarmOutputSource) {
        self.identifier = identifier
        self.source = source
    }
}

/// One alarm rule as the configuration states it (strings, load time only). `AlarmRuleSet.add`
/// compiles it into the compact form the evaluator runs.
public struct AlarmDefinition: Equatable, Sendable {
    public var identifier: String
    /// The device's index in the configuration.
    public var device: Int
    public var condition: AlarmConditionDefinition
    /// How long the condition must hold before the alarm is raised.
    public var onDelayMilliseconds: UInt32
    /// How long the condition must stay away before the alarm is cleared.
    public var offDelayMilliseconds: UInt32
    public var level: AlarmLevel
    /// Text with `{POINT}` placeholders, replaced by the values at the transition.
    public var message: String
    /// The TSL event posted (`thing.event.{eventId}.post`).
    public var eventId: String
    public var outputs: [AlarmOutputDefinition]

    public init(identifier: String, device: Int, condition: AlarmConditionDefinition, onDelayMilliseconds: UInt32 = 0,
                offDelayMilliseconds: UInt32 = 0, level: AlarmLevel = .warning, message: String = "", eventId: String,
                outputs: [AlarmOutputDefinition] = []) {
        self.identifier = identifier
        self.device = device
        self.condition = condition
        self.onDelayMilliseconds = onDelayMilliseconds
        self.offDelayMilliseconds = offDelayMilliseconds
        self.level = level
        self.message = message
        self.eventId = eventId
        self.outputs = outputs
    }
}
