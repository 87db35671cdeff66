/// Byte and word order of a value spread over registers, named after where the bytes of the
/// big-endian value A B C D land on the wire. ABCD: big-endian (Modbus' own order); CDAB: words
/// swapped; BADC: bytes swapped inside each register; DCBA: fully little-endian. For 64-bit values
/// a word swap reverses the order of all four registers.
public enum WordOrder: UInt8, Equatable, Sendable, CaseIterable {
    case abcd
    case cdab
    case badc
    case dcba

    /// Registers appear least significant first.
    @inlinable public var swapsWords: Bool { self == .cdab || self == .dcba }
    /// The two bytes inside each register are swapped.
    @inlinable public var swapsBytes: Bool { self == .badc || self == .dcba }

    /// "ABCD", "CDAB", "BADC" or "DCBA".
    public var name: String {
        switch self {
        case .abcd: return "ABCD"
        case .cdab: return "CDAB"
        case .badc: return "BADC"
        case .dcba: return "DCBA"
        }
    }

    /// The order for a configuration name (case-insensitive), or nil.
    public init?(name: String) {
        switch name {
        case "ABCD", "abcd": self = .abcd
        case "CDAB", "cdab": self = .cdab
        case "BADC", "badc": self = .badc
        case "DCBA", "dcba": self = .dcba
        default: return nil
        }
    }
}
