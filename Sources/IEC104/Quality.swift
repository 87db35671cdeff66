/// The quality of a data point, from the outstation's quality descriptor (SIQ, DIQ, QDS, or the
/// sequence octet of binary counter reading): the bits this agent keeps, in one byte.
public struct Quality: OptionSet, Equatable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// IV: the value is not valid.
    public static let invalid = Quality(rawValue: 0x01)
    /// NT: the value was not updated successfully at the last time it should have been.
    public static let notTopical = Quality(rawValue: 0x02)
    /// SB: the value was set by an operator or an automatic source, not acquired.
    public static let substituted = Quality(rawValue: 0x04)
    /// BL: the value is blocked for transmission (the value before blocking).
    public static let blocked = Quality(rawValue: 0x08)
    /// OV for measured values; CY (carry) for integrated totals.
    public static let overflow = Quality(rawValue: 0x10)
    /// CA of integrated totals: the counter was adjusted since the last reading.
    public static let adjusted = Quality(rawValue: 0x20)

    public static let good = Quality([])

    /// From SIQ/DIQ/QDS: BL 0x10, SB 0x20, NT 0x40, IV 0x80, OV 0x01 (QDS only).
    @inlinable public init(descriptor q: UInt8, hasOverflow: Bool) {
        var r: UInt8 = 0
        if q & 0x80 != 0 { r |= Quality.invalid.rawValue }
        if q & 0x40 != 0 { r |= Quality.notTopical.rawValue }
        if q & 0x20 != 0 { r |= Quality.substituted.rawValue }
        if q & 0x10 != 0 { r |= Quality.blocked.rawValue }
        if hasOverflow, q & 0x01 != 0 { r |= Quality.overflow.rawValue }
        rawValue = r
    }

    /// From the last octet of a binary counter reading: CY 0x20, CA 0x40, IV 0x80.
    @inlinable public init(counterSequence s: UInt8) {
        var r: UInt8 = 0
        if s & 0x80 != 0 { r |= Quality.invalid.rawValue }
        if s & 0x40 != 0 { r |= Quality.adjusted.rawValue }
        if s & 0x20 != 0 { r |= Quality.overflow.rawValue }
        rawValue = r
    }
}
