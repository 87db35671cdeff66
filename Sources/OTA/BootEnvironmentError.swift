import EdgeCore

/// Why a U-Boot environment could not be read, changed or written. Each case names the place
/// (config line, copy number) and what is wrong, so the console can say it in one line.
public enum BootEnvironmentError: Error, Equatable, Sendable {
    /// The `fw_env.config`-style file could not be opened or read.
    case configUnreadable(Errno)
    /// A location line is malformed (1-based line number).
    case configInvalid(line: Int, StaticString)
    /// The config names no location, or more than two, or two copies of different sizes.
    case configShape(StaticString)
    /// The device or file holding a copy could not be opened, read or written.
    case device(copy: Int, operation: StaticString, Errno)
    /// The copy ended before `size` bytes (file too short).
    case shortRead(copy: Int)
    /// The only copy (single environment) fails its CRC-32.
    case crcMismatch(copy: Int)
    /// Both copies of a redundant environment fail their CRC-32: nothing may be activated.
    case noValidCopy
    /// The CRC is right but the variables are not terminated by a double NUL inside the data area.
    case unterminated(copy: Int)
    /// A variable name is empty or contains `=` (U-Boot refuses both) or NUL.
    case invalidName
    /// A value contains a NUL byte.
    case invalidValue
    /// The variables no longer fit in the environment's data area.
    case full(needed: Int, capacity: Int)
    /// `save()` was called before a successful `load()` or `reset()`.
    case notLoaded

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.configUnreadable(let x), .configUnreadable(let y)): return x == y
        case (.configInvalid(let l, _), .configInvalid(let m, _)): return l == m
        case (.configShape, .configShape): return true
        case (.device(let c, _, let e), .device(let d, _, let f)): return c == d && e == f
        case (.shortRead(let c), .shortRead(let d)): return c == d
        case (.crcMismatch(let c), .crcMismatch(let d)): return c == d
        case (.noValidCopy, .noValidCopy): return true
        case (.unterminated(let c), .unterminated(let d)): return c == d
        case (.invalidName, .invalidName), (.invalidValue, .invalidValue), (.notLoaded, .notLoaded): return true
        case (.full(let n, let c), .full(let m, let d)): return n == m && c == d
        default: return false
        }
    }

    /// One line for the console and the logs.
    public var description: String {
        switch self {
        case .configUnreadable(let e): return "bootloader environment config: cannot read (\(e.message))"
        case .configInvalid(let line, let what): return "bootloader environment config line \(line): \(what.description)"
        case .configShape(let what): return "bootloader environment config: \(what.description)"
        case .device(let copy, let op, let e): return "bootloader environment copy \(copy): \(op.description) failed (\(e.message))"
        case .shortRead(let copy): return "bootloader environment copy \(copy): device shorter than the environment size"
        case .crcMismatch(let copy): return "bootloader environment copy \(copy): CRC-32 mismatch (corrupt or never written)"
        case .noValidCopy: return "bootloader environment: both copies fail their CRC-32; refusing to change boot state"
        case .unterminated(let copy): return "bootloader environment copy \(copy): variables not terminated inside the data area"
        case .invalidName: return "bootloader environment: variable name empty or containing '=' or NUL"
        case .invalidValue: return "bootloader environment: value containing NUL"
        case .full(let needed, let capacity): return "bootloader environment: variables need \(needed) bytes, data area holds \(capacity)"
        case .notLoaded: return "bootloader environment: not loaded"
        }
    }
}
