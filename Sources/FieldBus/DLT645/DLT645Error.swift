/// Why a DL/T 645-2007 exchange failed: a reply that is cut short, malformed, fails its
/// checksum, comes from another meter or answers another question, a value that is not BCD, or
/// the meter's own error reply (control 0xD1) with its error bits. Thrown with
/// `throws(DLT645Error)`, which never allocates.
public enum DLT645Error: Error, Equatable, Sendable {
    /// The bytes end before the frame does.
    case truncated
    /// Something other than 0xFE wake-up bytes before the 0x68 start, or no second 0x68.
    case badStart
    /// The length byte runs past what the buffer or the standard (200) allows.
    case badLength(UInt8)
    /// The checksum (sum of the bytes from the first 0x68 to the data, modulo 256) differs.
    case badChecksum(expected: UInt8, received: UInt8)
    /// The frame does not end with 0x16.
    case badEnd
    /// The reply names another meter address than the one asked.
    case wrongAddress
    /// The reply's control code is not an answer to the request (0x91/0xB1 or 0xD1 for a read).
    case unexpectedControl(UInt8)
    /// The reply carries another data identifier than the one asked, or too few value bytes.
    case wrongDataIdentifier(UInt32)
    /// A value byte is not two BCD digits.
    case badBCD
    /// The meter answered with an error reply; `code` is its error byte (bit 1: no such data…).
    case errorReply(UInt8)
    /// The data identifier is not in `DLT645DataFormat`'s table.
    case unknownDataIdentifier(UInt32)
    /// The caller's buffer is too small for the frame.
    case bufferTooSmall

    /// In words, for logs, the console and the probe.
    public var description: String {
        switch self {
        case .truncated: return "reply cut short"
        case .badStart: return "reply does not start with 0x68 (after any 0xFE wake-up bytes)"
        case .badLength(let n): return "reply length \(n) is beyond the frame or the standard's 200 bytes"
        case .badChecksum(let e, let r): return "checksum error (computed \(Self.hex(e)), received \(Self.hex(r)))"
        case .badEnd: return "reply does not end with 0x16"
        case .wrongAddress: return "reply comes from another meter address than the one asked"
        case .unexpectedControl(let c): return "reply has control code \(Self.hex(c)), not an answer to a read"
        case .wrongDataIdentifier(let di): return "reply carries data identifier \(DLT645DataFormat.text(di)), not the one asked (or too few value bytes)"
        case .badBCD: return "reply value is not BCD"
        case .errorReply(let code): return "meter error reply \(Self.hex(code)) (" + Self.errorBits(code) + ")"
        case .unknownDataIdentifier(let di): return "data identifier \(DLT645DataFormat.text(di)) is not in the DL/T 645 table"
        case .bufferTooSmall: return "frame buffer too small"
        }
    }

    /// The meaning of the error byte's bits (DL/T 645-2007 §7.3 table: bit 0 other error,
    /// 1 no requested data, 2 wrong password/unauthorised, 3 baud rate cannot change, 4 too many
    /// yearly time zones, 5 too many daily time slots, 6 too many tariffs).
    public static func errorBits(_ code: UInt8) -> String {
        let names = ["other error", "no requested data", "password wrong or not authorised", "baud rate cannot be changed",
                     "too many yearly time zones", "too many daily time slots", "too many tariffs", "reserved"]
        var text = ""
        for bit in 0..<8 where code & (1 << UInt8(bit)) != 0 {
            if !text.isEmpty { text += ", " }
            text += names[bit]
        }
        return text.isEmpty ? "no error bit set" : text
    }

    static func hex(_ b: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
        return "0x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }

    /// The scheduler's classification: a checksum error counts as a CRC error, an error reply as
    /// an answer (like a Modbus exception: not retried, the meter stays online), the rest as a
    /// malformed reply.
    public var transactionError: ModbusError {
        switch self {
        case .badChecksum: return .crcError
        case .errorReply(let code): return .exception(code)
        case .unknownDataIdentifier, .bufferTooSmall: return .invalidRequest
        default: return .invalidResponse(0)
        }
    }
}
