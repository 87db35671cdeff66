import EdgeCore

/// Decimal text for doubles without Double interpolation (unavailable in Embedded Swift): the
/// shortest digits (at most 15) that read back as the same value (as the same Float with `asFloat`), plain
/// notation for exponents -6...15, scientific otherwise. Allocates the String it returns.
public enum DecimalText {
    public static func format(_ value: Double, asFloat: Bool = false) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let d = DecimalConversion.shortestDigits(of: value.magnitude, maxDigits: asFloat ? 9 : 17, asFloat: asFloat)
        var digits: [UInt8] = []
        var n = d.digits
        while n > 0 || digits.isEmpty {
            digits.append(UInt8(48 + n % 10))
            n /= 10
        }
        digits.reverse()
        var out: [UInt8] = value < 0 ? [45] : []
        let e = d.exponent
        if e >= -6 && e <= 15 {
            if e < 0 {
                out.append(48)
                out.append(46)
                for _ in 0..<(-e - 1) { out.append(48) }
                out.append(contentsOf: digits)
            } else {
                for i in 0...e { out.append(i < digits.count ? digits[i] : 48) }
                if digits.count > e + 1 {
                    out.append(46)
                    out.append(contentsOf: digits[(e + 1)...])
                }
            }
        } else {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(46)
                out.append(contentsOf: digits[1...])
            }
            out.append(101)
            out.append(contentsOf: Array("\(e)".utf8))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A point value as text: numbers in decimal, bools as true/false, strings quoted.
    public static func format(_ value: PointValue) -> String {
        switch value {
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return "\(v)"
        case .uint(let v): return "\(v)"
        case .double(let v): return format(v)
        case .string(let s): return "\"" + s.string + "\""
        }
    }
}
