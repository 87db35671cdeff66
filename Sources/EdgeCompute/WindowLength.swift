/// A window length written as a number and a unit: `500ms`, `10s`, `5m`, `1h`, `1d`.
public enum WindowLength {
    /// The length in milliseconds, or a `FormulaError` (`.syntax`) with the column of the problem.
    public static func milliseconds(_ text: String) throws(FormulaError) -> Int64 {
        let b = Array(text.utf8)
        var i = 0
        var n: Int64 = 0
        while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
            if n > 1_000_000_000 { throw FormulaError(.syntax, column: 1, "window \"" + text + "\" too long") }
            n = n * 10 + Int64(b[i] - 0x30)
            i += 1
        }
        if i == 0 { throw FormulaError(.syntax, column: 1, "window \"" + text + "\" does not start with a number (e.g. \"5m\")") }
        let unit = String(decoding: b[i...], as: UTF8.self)
        let scale: Int64
        switch unit {
        case "ms": scale = 1
        case "s": scale = 1_000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default:
            throw FormulaError(.syntax, column: i + 1, "window unit \"" + unit + "\" is none of ms, s, m, h, d")
        }
        if n == 0 { throw FormulaError(.syntax, column: 1, "window of length 0") }
        return n * scale
    }
}
