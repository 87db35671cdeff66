/// The four Modbus data tables a point can live in. Coils and discrete inputs hold bits;
/// input and holding registers hold 16-bit words. Only coils and holding registers are writable.
public enum RegisterTable: UInt8, Equatable, Sendable {
    case coil
    case discreteInput
    case inputRegister
    case holdingRegister

    /// True for the bit tables (coils, discrete inputs).
    @inlinable public var holdsBits: Bool { self == .coil || self == .discreteInput }

    /// True for the tables a master may write (coils, holding registers).
    @inlinable public var isWritable: Bool { self == .coil || self == .holdingRegister }

    /// The configuration name ("coil", "discrete", "input", "holding").
    public var name: String {
        switch self {
        case .coil: return "coil"
        case .discreteInput: return "discrete"
        case .inputRegister: return "input"
        case .holdingRegister: return "holding"
        }
    }

    /// The table for a configuration name, or nil.
    public init?(name: String) {
        switch name {
        case "coil", "coils": self = .coil
        case "discrete", "discrete_input", "discreteInput": self = .discreteInput
        case "input", "input_register", "inputRegister": self = .inputRegister
        case "holding", "holding_register", "holdingRegister": self = .holdingRegister
        default: return nil
        }
    }
}
