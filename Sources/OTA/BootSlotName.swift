/// One of the two A/B slots, named as RAUC's bootchooser names them in `BOOT_ORDER` and in
/// `BOOT_<name>_LEFT`.
public enum BootSlotName: Equatable, Sendable {
    case a
    case b

    /// "A" or "B".
    public var letter: String { self == .a ? "A" : "B" }
    /// The other slot.
    public var other: BootSlotName { self == .a ? .b : .a }
    /// `BOOT_A_LEFT` / `BOOT_B_LEFT`.
    public var attemptsVariable: String { self == .a ? "BOOT_A_LEFT" : "BOOT_B_LEFT" }

    /// "A"/"a" or "B"/"b".
    public init?(_ text: Substring) {
        switch text {
        case "A", "a": self = .a
        case "B", "b": self = .b
        default: return nil
        }
    }
}
