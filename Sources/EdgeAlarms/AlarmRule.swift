import EdgeCompute

/// What an alarm rule's condition compares, in its compiled form.
public enum AlarmConditionKind: UInt8, Equatable, Sendable {
    /// A formula; met while it is not 0.
    case expression
    /// A formula's value above `limit` (held above `limit - hysteresis`): the high limit.
    case above
    /// A formula's value below `limit` (held below `limit + hysteresis`): the low limit.
    case below
    /// The point's change per second between consecutive good samples beyond `limit`.
    case rateOfChange
    /// The point's value differs from its previous good value.
    case stateChange
    /// No good sample of the point for more than `limit` milliseconds.
    case stale
    /// The device is offline.
    case offline
}

/// A text in `AlarmRuleSet.texts`: offset (24 bits) and length (8 bits) packed in 32 bits, so
/// that a rule's three texts take 12 bytes.
public struct AlarmText: Hashable, Sendable {
    public let packed: UInt32

    init(start: Int, count: Int) { packed = UInt32(start) << 8 | UInt32(count) }

    public var start: Int { Int(packed >> 8) }
    public var count: Int { Int(packed & 0xFF) }

    /// The largest text: identifiers, event ids, output ids, message templates.
    public static let maximumLength = 255
    /// The text pool's limit (24-bit offsets).
    static let poolLimit = 1 << 24
}

/// One output parameter in its compiled form: its identifier and where the value comes from
/// (`capture` indexes the rule's captured values for `.point`).
public struct AlarmOutput: Hashable, Sendable {
    public enum Source: UInt8, Hashable, Sendable {
        case point, message, level, state, rule
    }

    public let identifier: AlarmText
    public let source: Source
    public let capture: UInt8
}

/// One rule in the compact form the evaluator runs (64 bytes): everything that varies in size
/// lives in the set's pools (code, texts, captured slots, outputs) and is reached by offset.
public struct AlarmRule: Equatable, Sendable {
    public let kind: AlarmConditionKind
    public let level: AlarmLevel
    /// Values recorded with each transition: slots in `AlarmRuleSet.captures[captureStart...]`.
    public let captureCount: UInt8
    public let outputCount: UInt8
    public let device: UInt32
    /// The formula (`expression`, `above`, `below`) or the point's input slot (the others).
    public let code: FormulaCodeHandle
    public let slot: UInt32
    public let onDelayMilliseconds: UInt32
    public let offDelayMilliseconds: UInt32
    /// The limit (a value, a change per second, or for `stale` milliseconds).
    public let limit: Double
    public let hysteresis: Double
    /// FNV-1a of the identifier: what a stored record names its rule by across restarts.
    public let fingerprint: UInt32
    public let identifier: AlarmText
    public let eventId: AlarmText
    /// The template, placeholders replaced by `AlarmMessage.placeholder` and a capture index.
    public let message: AlarmText
    public let captureStart: UInt32
    public let outputStart: UInt32

    /// FNV-1a (32 bits) of `bytes`.
    public static func fingerprint<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }
}
