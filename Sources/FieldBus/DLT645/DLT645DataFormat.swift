/// How a DL/T 645-2007 data identifier's value is encoded: `byteCount` BCD bytes (least
/// significant first) of which the value is the first `valueBytes`, `decimals` digits after the
/// point, and whether the top bit of the most significant value byte is a sign (current, power,
/// power factor, combined energies). `lookup` covers the common DIs of DL/T 645-2007 Appendix A:
///
/// | DI                 | what                                              | format      | unit  |
/// |--------------------|---------------------------------------------------|-------------|-------|
/// | 00 tt rr ss        | energy: tt 00 combined active (signed), 01 forward active, 02 reverse active, 03/04 combined reactive (signed), 05-08 quadrant reactive, 09/0A apparent; rr 00 total, 01-3F tariff; ss 00 current, 01-0C settlement | XXXXXX.XX (4 B) | kWh, kvarh, kVAh |
/// | 01 tt rr ss        | maximum demand (same tt/rr/ss), 3 B value + 5 B time YYMMDDhhmm | XX.XXXX | kW, kvar, kVA |
/// | 02 01 0p 00        | voltage, phase p = 1..3                           | XXX.X (2 B) | V     |
/// | 02 02 0p 00        | current (signed)                                  | XXX.XXX (3 B) | A   |
/// | 02 03 0p 00        | active power, p = 0 total or 1..3 (signed)        | XX.XXXX (3 B) | kW  |
/// | 02 04 0p 00        | reactive power (signed)                           | XX.XXXX (3 B) | kvar |
/// | 02 05 0p 00        | apparent power (signed)                           | XX.XXXX (3 B) | kVA |
/// | 02 06 0p 00        | power factor (signed)                             | X.XXX (2 B) |       |
/// | 02 80 00 01        | neutral current (signed)                          | XXX.XXX (3 B) | A   |
/// | 02 80 00 02        | grid frequency                                    | XX.XX (2 B) | Hz    |
/// | 02 80 00 03        | one-minute average active power (signed)          | XX.XXXX (3 B) | kW  |
/// | 02 80 00 04/05/06  | current active/reactive/apparent demand (signed)  | XX.XXXX (3 B) | kW, kvar, kVA |
/// | 02 80 00 07        | meter temperature (signed)                        | XXX.X (2 B) | °C    |
///
/// Checked against the data identifier tables of the `dlt645` package on PyPI (3.2.0,
/// `dlt645/config/variable_types.py`: 02010100 "A相电压" V XXX.X, 02020100 A XXX.XXX, 02030000 kW
/// XX.XXXX, 02060000 X.XXX, 02800002 Hz XX.XX, 02800004 XX.XXXX; `model/data/define/energy_def.py`:
/// "电能数据格式统一为 XXXXXX.XX"; `demand_def.py`: "需量数据格式统一为 XX.XXXX"), and with the DI list
/// of github.com/bobyuxinyang/dlt645_2007 (`dlt645_api_07.h`). Block identifiers (rr or p = FF)
/// return several values in one reply and are not points here: a point is one value.
public struct DLT645DataFormat: Equatable, Sendable {
    /// Bytes the meter sends after the DI.
    public var byteCount: Int
    /// Bytes of those that hold the value (the rest: a demand's time stamp).
    public var valueBytes: Int
    public var decimals: Int
    public var signed: Bool

    public init(byteCount: Int, valueBytes: Int? = nil, decimals: Int, signed: Bool) {
        self.byteCount = byteCount
        self.valueBytes = valueBytes ?? byteCount
        self.decimals = decimals
        self.signed = signed
    }

    /// The format of `di`, or nil when it is not in the table.
    public static func lookup(_ di: UInt32) -> DLT645DataFormat? {
        let d3 = UInt8(di >> 24), d2 = UInt8((di >> 16) & 0xFF), d1 = UInt8((di >> 8) & 0xFF), d0 = UInt8(di & 0xFF)
        switch d3 {
        case 0x00:
            guard d2 <= 0x0A, d1 <= 0x3F, d0 <= 0x0C else { return nil }
            return DLT645DataFormat(byteCount: 4, decimals: 2, signed: d2 == 0x00 || d2 == 0x03 || d2 == 0x04)
        case 0x01:
            guard d2 >= 0x01, d2 <= 0x0A, d1 <= 0x3F, d0 <= 0x0C else { return nil }
            return DLT645DataFormat(byteCount: 8, valueBytes: 3, decimals: 4, signed: d2 == 0x03 || d2 == 0x04)
        case 0x02:
            if d2 == 0x80 {
                guard d1 == 0x00 else { return nil }
                switch d0 {
                case 0x01: return DLT645DataFormat(byteCount: 3, decimals: 3, signed: true)
                case 0x02: return DLT645DataFormat(byteCount: 2, decimals: 2, signed: false)
                case 0x03, 0x04, 0x05, 0x06: return DLT645DataFormat(byteCount: 3, decimals: 4, signed: true)
                case 0x07: return DLT645DataFormat(byteCount: 2, decimals: 1, signed: true)
                default: return nil
                }
            }
            guard d0 == 0x00 else { return nil }
            switch d2 {
            case 0x01: return (0x01...0x03).contains(d1) ? DLT645DataFormat(byteCount: 2, decimals: 1, signed: false) : nil
            case 0x02: return (0x01...0x03).contains(d1) ? DLT645DataFormat(byteCount: 3, decimals: 3, signed: true) : nil
            case 0x03, 0x04, 0x05: return d1 <= 0x03 ? DLT645DataFormat(byteCount: 3, decimals: 4, signed: true) : nil
            case 0x06: return d1 <= 0x03 ? DLT645DataFormat(byteCount: 2, decimals: 3, signed: true) : nil
            default: return nil
            }
        default:
            return nil
        }
    }

    /// Decodes the value from `bytes` (the data after the DI, offset already removed, least
    /// significant byte first). Throws `.badBCD` for a nibble above 9 and `.truncated` when fewer
    /// than `valueBytes` bytes are given.
    public func value(_ bytes: UnsafeBufferPointer<UInt8>) throws(DLT645Error) -> Double {
        guard bytes.count >= valueBytes, valueBytes > 0 else { throw .truncated }
        var integer: UInt64 = 0
        var negative = false
        var i = valueBytes - 1
        while i >= 0 {
            var b = bytes[i]
            if i == valueBytes - 1 && signed {
                negative = b & 0x80 != 0
                b &= 0x7F
            }
            let high = b >> 4, low = b & 0x0F
            guard high <= 9, low <= 9 else { throw .badBCD }
            integer = integer * 100 + UInt64(high) * 10 + UInt64(low)
            i -= 1
        }
        var divisor = 1.0
        for _ in 0..<decimals { divisor *= 10 }
        let magnitude = Double(integer) / divisor
        return negative ? -magnitude : magnitude
    }

    /// "0x02010100".
    public static func text(_ di: UInt32) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
        var s = "0x"
        var shift: UInt32 = 28
        while true {
            s.append(digits[Int((di >> shift) & 0xF)])
            if shift == 0 { break }
            shift -= 4
        }
        return s
    }
}
