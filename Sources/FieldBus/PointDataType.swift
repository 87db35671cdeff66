/// How a point's value is laid out in its table: a bit, a bit of a register, an integer or a
/// float of 1, 2 or 4 registers, or a string of `length` bytes packed two per register.
public enum PointDataType: Equatable, Sendable {
    case bool
    /// Bit `index` (0 = least significant) of one register.
    case bitOfRegister(index: UInt8)
    case int16
    case uint16
    case int32
    case uint32
    case int64
    case uint64
    case float32
    case float64
    /// `length` bytes, two per register (high byte first in ABCD order), NUL-padded.
    case string(length: UInt16)

    /// Registers (or, for `.bool` in a bit table, bits) the value occupies.
    @inlinable public var registerCount: UInt16 {
        switch self {
        case .bool, .bitOfRegister, .int16, .uint16: return 1
        case .int32, .uint32, .float32: return 2
        case .int64, .uint64, .float64: return 4
        case .string(let length): return (length &+ 1) / 2
        }
    }

    /// True for the types whose registers can be split in an odd place (32/64-bit values).
    @inlinable public var isMultiRegisterNumber: Bool { registerCount > 1 && !isString }

    /// True for `.string`.
    @inlinable public var isString: Bool {
        if case .string = self { return true }
        return false
    }

    /// The configuration name, e.g. "uint32" (strings and bits without their parameter).
    public var name: String {
        switch self {
        case .bool: return "bool"
        case .bitOfRegister: return "bit"
        case .int16: return "int16"
        case .uint16: return "uint16"
        case .int32: return "int32"
        case .uint32: return "uint32"
        case .int64: return "int64"
        case .uint64: return "uint64"
        case .float32: return "float32"
        case .float64: return "float64"
        case .string: return "string"
        }
    }
}
