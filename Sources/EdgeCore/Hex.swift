/// Hexadecimal text for bytes and integers, without Foundation.
public enum Hex {
    /// Lowercase hex of bytes, two digits each.
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.unicodeScalars.append(digit(b >> 4))
            out.unicodeScalars.append(digit(b & 0xF))
        }
        return out
    }

    /// An unsigned integer as `0x`-prefixed hex, zero-padded to `width` digits.
    public static func string<T: FixedWidthInteger & UnsignedInteger>(_ value: T, width: Int) -> String {
        var digits = String(value, radix: 16)
        while digits.utf8.count < width { digits = "0" + digits }
        return "0x" + digits
    }

    /// Parses hex text (even length, any case) into `out`; returns the byte count or nil.
    public static func decode(_ text: String, into out: UnsafeMutableRawBufferPointer) -> Int? {
        var count = 0
        var high: UInt8? = nil
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                guard count < out.count else { return nil }
                out[count] = h << 4 | v
                count += 1
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? count : nil
    }

    private static func digit(_ v: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10)
    }
}
