/// Conversions between binary doubles and decimal digits, written here because Embedded Swift has
/// no `Double(String)` or `description` for floating point, and because both directions must run
/// on caller buffers without allocating (JSON numbers in MQTT payloads and config files).
///
/// Precision, decimal to double (`double(significand:exponent:negative:)`):
/// - exact (correctly rounded, identical to `strtod`) when the significand has at most 15-16
///   digits (≤ 2^53) and the decimal exponent is within ±22, which covers config values and
///   measurements such as `230.5`, `-0.0125`, `1e6`, `6.02e23` (extended fast path);
/// - otherwise the significand is scaled by 10^exponent in double-double arithmetic (about 104
///   bits) and rounded once: correct except within about 2^-100 of a halfway case, where it can be
///   one ULP off; subnormal results (below 2.2e-308) can be one ULP off as well.
/// Digits beyond the 19th are dropped (relative error < 1e-18 before rounding).
///
/// Precision, double to decimal (`shortestDigits(of:maxDigits:)`): the shortest digit string of
/// at most `maxDigits` (≤ 15) significant digits that reads back to the same double, or the
/// `maxDigits`-digit rounding when none does. 15 digits is what a double holds for sure (DBL_DIG):
/// every decimal of up to 15 digits survives text → double → text unchanged.
public enum DecimalConversion {
    /// 10^k for 0 ≤ k ≤ 22 exactly (every such power is representable); larger k approximately.
    @inlinable
    public static func powerOfTen(_ k: Int) -> Double {
        var result = 1.0
        var k = k
        // Exact in steps of 10 while the power stays ≤ 10^22.
        while k >= 8 { result *= 1e8; k -= 8 }
        while k > 0 { result *= 10; k -= 1 }
        return result
    }

    /// significand × 10^exponent, rounded to a double (see the type's precision notes).
    /// Returns ±infinity on overflow and ±0 on underflow.
    public static func double(significand: UInt64, exponent: Int, negative: Bool) -> Double {
        var value: Double
        if significand == 0 {
            value = 0
        } else if significand <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            // Clinger's fast path: one correctly rounded operation on exact operands.
            value = exponent >= 0 ? Double(significand) * powerOfTen(exponent)
                                  : Double(significand) / powerOfTen(-exponent)
        } else if significand <= (1 << 53) && exponent > 22 && exponent <= 22 + 15
                    && significand <= (1 << 53) / UInt64(powerOfTenInteger(exponent - 22)) {
            // Still exact: move the extra powers into the significand first.
            value = Double(significand * UInt64(powerOfTenInteger(exponent - 22))) * 1e22
        } else {
            if exponent > 400 { return negative ? -.infinity : .infinity }
            if exponent < -400 - 20 { return negative ? -0.0 : 0.0 }
            value = scaledInDoubleDouble(significand, exponent)
        }
        return negative ? -value : value
    }

    /// A double-double: hi + lo with |lo| ≤ ulp(hi)/2, about 106 bits of precision.
    struct DoubleDouble {
        var hi: Double
        var lo: Double

        static func sum(_ a: Double, _ b: Double) -> DoubleDouble {
            let s = a + b
            let bb = s - a
            let err = (a - (s - bb)) + (b - bb)
            return DoubleDouble(hi: s, lo: err)
        }

        /// Veltkamp's split into two 26-bit halves (scaled first when huge, so nothing overflows).
        static func split(_ a: Double) -> (hi: Double, lo: Double) {
            if a.magnitude > 0x1p995 {
                let (h, l) = split(a * 0x1p-53)
                return (h * 0x1p53, l * 0x1p53)
            }
            let c = 134_217_729.0 * a   // 2^27 + 1
            let h = c - (c - a)
            return (h, a - h)
        }

        /// a × b exactly as hi + lo (Dekker's product: no fma, so no libm on any target).
        static func product(_ a: Double, _ b: Double) -> DoubleDouble {
            let p = a * b
            guard p.isFinite, p != 0 else { return DoubleDouble(hi: p, lo: 0) }
            let (ah, al) = split(a)
            let (bh, bl) = split(b)
            let err = ((ah * bh - p) + ah * bl + al * bh) + al * bl
            return DoubleDouble(hi: p, lo: err)
        }

        static func * (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble {
            let p = product(x.hi, y.hi)
            guard p.hi.isFinite else { return p }
            let lo = p.lo + (x.hi * y.lo + x.lo * y.hi)
            return sum(p.hi, lo)
        }

        static func / (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble {
            let q1 = x.hi / y.hi
            let r = x - y * DoubleDouble(hi: q1, lo: 0)
            let q2 = r.hi / y.hi
            return sum(q1, q2)
        }

        static func - (x: DoubleDouble, y: DoubleDouble) -> DoubleDouble {
            let s = sum(x.hi, -y.hi)
            return sum(s.hi, s.lo + (x.lo - y.lo))
        }

        /// 10^k (k ≥ 0) by repeated squaring; relative error about k × 2^-104.
        static func powerOfTen(_ k: Int) -> DoubleDouble {
            var result = DoubleDouble(hi: 1, lo: 0)
            var base = DoubleDouble(hi: 10, lo: 0)
            var k = k
            while k > 0 {
                if k & 1 == 1 { result = result * base }
                k >>= 1
                if k > 0 { base = base * base }
            }
            return result
        }
    }

    /// significand × 10^exponent in double-double arithmetic, rounded once at the end: off by at
    /// most one ULP, and only when the exact value lies within about 2^-100 of a halfway point.
    static func scaledInDoubleDouble(_ significand: UInt64, _ exponent: Int) -> Double {
        // Exact split: both halves are exactly representable.
        var x = DoubleDouble.sum(Double(significand >> 32) * 4_294_967_296.0, Double(significand & 0xFFFF_FFFF))
        if exponent >= 0 {
            x = x * DoubleDouble.powerOfTen(exponent)
        } else if exponent >= -300 {
            x = x / DoubleDouble.powerOfTen(-exponent)
        } else {
            // 10^k overflows past 308: divide in two steps (the last one may go subnormal).
            x = x / DoubleDouble.powerOfTen(-exponent - 300)
            x = x / DoubleDouble.powerOfTen(300)
        }
        return x.hi + x.lo
    }

    /// 10^k as an integer, 0 ≤ k ≤ 19.
    @inlinable
    public static func powerOfTenInteger(_ k: Int) -> UInt64 {
        var result: UInt64 = 1
        var k = k
        while k > 0 { result &*= 10; k -= 1 }
        return result
    }

    /// A positive finite double as decimal digits: value ≈ digits × 10^(exponent − count + 1),
    /// with `digits` having exactly `count` digits (no trailing zeros, count ≥ 1), so `exponent`
    /// is the decimal exponent of the first digit (1.5 → digits 15, count 2, exponent 0).
    public struct Digits: Equatable, Sendable {
        public var digits: UInt64
        public var count: Int
        public var exponent: Int
    }

    /// The shortest digits (≤ maxDigits, clamped to 1...15) that read back as `value` (as the
    /// same Float when `asFloat`, for float32 measurements). `value` must be finite and > 0.
    public static func shortestDigits(of value: Double, maxDigits: Int, asFloat: Bool = false) -> Digits {
        let limit = max(1, min(15, maxDigits))
        var best = rounded(value, toDigits: limit)
        if limit > 1 {
            for p in 1..<limit {
                let candidate = rounded(value, toDigits: p)
                let back = double(significand: candidate.digits,
                                  exponent: candidate.exponent - candidate.count + 1, negative: false)
                let same = asFloat ? Float(back) == Float(value) : back == value
                if same { best = candidate; break }
            }
        }
        // Near the largest double, rounding up the last digit can read back as infinity; round
        // toward zero instead so that the text stays a finite number.
        let back = double(significand: best.digits, exponent: best.exponent - best.count + 1, negative: false)
        if !back.isFinite || (asFloat && !Float(back).isFinite) {
            best.digits -= 1
        }
        return best
    }

    /// `value` (finite, > 0) rounded to `p` significant digits (1...15), trailing zeros removed.
    public static func rounded(_ value: Double, toDigits p: Int) -> Digits {
        // Estimate the decimal exponent from the binary one, then correct it.
        var e10 = floorToInt(Double(Int(value.exponent)) * 0.30102999566398120)
        var n: UInt64 = 0
        let low = powerOfTenInteger(p - 1)
        let high = powerOfTenInteger(p)
        var attempts = 0
        while true {
            let k = p - 1 - e10
            let scaled = roundHalfEven(scale(value, byPowerOfTen: k))
            attempts += 1
            if scaled >= Double(high) && attempts < 4 { e10 += 1; continue }
            if scaled < Double(low) && attempts < 4 { e10 -= 1; continue }
            n = scaled >= Double(high) ? high - 1 : (scaled < Double(low) ? low : UInt64(scaled))
            break
        }
        var count = p
        while count > 1 && n % 10 == 0 { n /= 10; count -= 1 }
        return Digits(digits: n, count: count, exponent: e10)
    }

    // Rounding by hand: Double.rounded() calls libm (floor, rint), which the host build does not
    // link and the firmware should not need.

    /// floor(x) for |x| < 2^62.
    static func floorToInt(_ x: Double) -> Int {
        let t = Int(x)   // truncates toward zero
        return Double(t) > x ? t - 1 : t
    }

    /// x rounded to an integer, ties to even, for 0 ≤ x; values ≥ 2^62 are returned unchanged
    /// (the caller only compares them against its digit limits).
    static func roundHalfEven(_ x: Double) -> Double {
        guard x < 0x1p62 else { return x }
        let t = UInt64(x)
        let fraction = x - Double(t)   // exact: x has no bits below 2^-1 once x ≥ 2^52
        if fraction > 0.5 || (fraction == 0.5 && t & 1 == 1) { return Double(t + 1) }
        return Double(t)
    }

    /// value × 10^k, each step correctly rounded (exact power factors up to 10^22).
    static func scale(_ value: Double, byPowerOfTen k: Int) -> Double {
        var v = value
        var k = k
        if k >= 0 {
            while k > 22 { v *= 1e22; k -= 22 }
            return v * powerOfTen(k)
        }
        while k < -22 { v /= 1e22; k += 22 }
        return v / powerOfTen(-k)
    }
}
