/// Standard base64 (RFC 4648 §4, `+` and `/`), as the cloud carries binary parameters in JSON
/// strings: a configuration bundle inline in `thing.service.applyConfiguration`. Padding is
/// optional; any other byte, a `=` before the end or a lone trailing character is refused.
/// Allocates the result: service calls, not the steady state.
public enum Base64 {
    /// The decoded bytes, or nil when `text` is not base64.
    public static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        var end = text.count
        var padding = 0
        while end > 0 && text[end - 1] == UInt8(ascii: "=") && padding < 2 {
            end -= 1
            padding += 1
        }
        if padding > 0 && text.count % 4 != 0 { return nil }
        guard end % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(end / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        for i in 0..<end {
            guard let v = value(text[i]) else { return nil }
            accumulator = (accumulator << 6) | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits of the last character must be zero (canonical encoding).
        if bits > 0 && accumulator & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return out
    }

    /// The standard encoding, padded.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var block: UInt32 = 0
            for k in 0..<3 { block = (block << 8) | UInt32(k < n ? bytes[i + k] : 0) }
            for k in 0..<4 {
                out.append(k <= n ? alphabet(UInt8((block >> UInt32(18 - 6 * k)) & 63)) : UInt8(ascii: "="))
            }
            i += 3
        }
        return out
    }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    static func alphabet(_ v: UInt8) -> UInt8 {
        switch v {
        case 0..<26: return UInt8(ascii: "A") + v
        case 26..<52: return UInt8(ascii: "a") + v - 26
        case 52..<62: return UInt8(ascii: "0") + v - 52
        case 62: return UInt8(ascii: "+")
        default: return UInt8(ascii: "/")
        }
    }
}
