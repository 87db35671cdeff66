import CShim
import EdgeCore

/// Why a Modbus transaction failed, from libmodbus' errno: a timeout, an exception reply (with
/// its code), a CRC error, a malformed reply, or a system error on the port. Thrown with
/// `throws(ModbusError)`, which never allocates.
public enum ModbusError: Error, Equatable, Sendable {
    case timeout
    case exception(UInt8)
    case crcError
    /// A reply that was malformed, from the wrong unit, or had the wrong length (libmodbus errno).
    case invalidResponse(Int32)
    /// The port or socket failed (errno); the connection is reopened on the next request.
    case system(Int32)
    /// The request itself was invalid (count beyond limits, buffer too small…).
    case invalidRequest

    /// Classifies an errno left by a failed libmodbus call.
    public init(errno value: Int32) {
        let code = edge_modbus_exception_code(value)
        if code > 0 {
            self = .exception(UInt8(truncatingIfNeeded: code))
        } else if value == ETIMEDOUT {
            self = .timeout
        } else if value == edge_modbus_embbadcrc() {
            self = .crcError
        } else if value == edge_modbus_embbaddata() || value == edge_modbus_embbadexc()
                    || value == edge_modbus_embunkexc() || value == edge_modbus_embmdata()
                    || value == edge_modbus_embbadslave() {
            self = .invalidResponse(value)
        } else {
            self = .system(value)
        }
    }

    /// The quality of samples a failed read leaves.
    public var quality: Quality {
        switch self {
        case .timeout: return .timeout
        case .exception(let code): return .exception(code)
        case .crcError: return .crcError
        case .invalidResponse: return .invalidResponse
        case .system(let e): return .ioError(e)
        case .invalidRequest: return .invalidResponse
        }
    }

    /// True when the device (or the wire) failed, as opposed to a well-formed refusal: these
    /// count towards taking a device offline and are retried.
    public var isFailure: Bool {
        if case .exception = self { return false }
        if case .invalidRequest = self { return false }
        return true
    }

    /// A short description for logs and the probe, in words ("timeout", "exception 2 (illegal
    /// data address)", "invalid response: reply does not match the request…").
    public var description: String {
        switch self {
        case .timeout: return "timeout"
        case .exception(let code): return "exception \(code) (\(Self.exceptionName(code)))"
        case .crcError: return "CRC error"
        case .invalidResponse(let e): return "invalid response: " + (Self.libmodbusText(e) ?? "libmodbus error \(e)")
        case .system(let e):
            if let text = Self.libmodbusText(e) { return text }
            return "system error \(e) (\(Errno(rawValue: e).message))"
        case .invalidRequest: return "invalid request"
        }
    }

    /// A Modbus exception code's name (Modbus Application Protocol v1.1b3, §7).
    public static func exceptionName(_ code: UInt8) -> String {
        switch code {
        case 1: return "illegal function"
        case 2: return "illegal data address"
        case 3: return "illegal data value"
        case 4: return "server device failure"
        case 5: return "acknowledge: accepted, still processing"
        case 6: return "server device busy"
        case 7: return "negative acknowledge"
        case 8: return "memory parity error"
        case 10: return "gateway path unavailable"
        case 11: return "gateway target device failed to respond"
        default: return "not a standard exception code"
        }
    }

    /// libmodbus' own error codes (errno values above MODBUS_ENOBASE) in words; nil for a system errno.
    public static func libmodbusText(_ value: Int32) -> String? {
        let code = edge_modbus_exception_code(value)
        if code > 0 { return "exception \(code) (\(exceptionName(UInt8(truncatingIfNeeded: code))))" }
        if value == edge_modbus_embbadcrc() { return "CRC check failed" }
        if value == edge_modbus_embbaddata() { return "the reply does not match the request (length, transaction or function)" }
        if value == edge_modbus_embbadexc() { return "the reply carries an invalid exception code" }
        if value == edge_modbus_embunkexc() { return "the reply carries an unknown exception code" }
        if value == edge_modbus_embmdata() { return "too many data for one request" }
        if value == edge_modbus_embbadslave() { return "the reply comes from another unit than the one asked" }
        return nil
    }
}
