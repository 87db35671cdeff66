import EdgeCore

/// Renders a rule's message template with the values a record carries: each `{POINT}` of the
/// configured text becomes the value (up to 6 significant digits), `n/a` for a bad one. Writes
/// into the caller's buffer; allocates nothing.
public enum AlarmMessage {
    /// The byte that stands for a placeholder in the compiled template, followed by the capture
    /// index (the builder refuses control characters in templates, so it cannot be text).
    public static let placeholder: UInt8 = 0x01
    /// Room for any rendered message: the template and 8 numbers of at most 24 characters.
    public static let maximumBytes = AlarmText.maximumLength + 8 * 24

    /// The message of `rule` with the values of `record`; the byte count written into `buffer`
    /// (cut at the buffer's end if it is smaller than `maximumBytes`, never in a UTF-8 sequence).
    public static func render(rule: AlarmRule, rules: AlarmRuleSet, record: AlarmRecordView,
                              into buffer: UnsafeMutableRawBufferPointer) -> Int {
        rules.withBytes(rule.message) { template in
            var n = 0
            var i = 0
            while i < template.count {
                let b = template[i]
                if b == placeholder, i + 1 < template.count {
                    let (value, good) = record.value(Int(template[i + 1]))
                    i += 2
                    if !good || !value.isFinite {
                        n = append("n/a", buffer, n)
                        continue
                    }
                    let room = buffer.count - n
                    var w = JSONWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[n..<buffer.count]))
                    do throws(JSONWriterError) {
                        try w.value(value, maxSignificantDigits: 6)
                        n += w.count
                    } catch {
                        _ = room
                        return n
                    }
                    continue
                }
                // A whole UTF-8 sequence or nothing.
                let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                guard n + length <= buffer.count, i + length <= template.count else { return n }
                for k in 0..<length { buffer[n + k] = template[i + k] }
                n += length
                i += length
            }
            return n
        }
    }

    static func append(_ s: StaticString, _ buffer: UnsafeMutableRawBufferPointer, _ n: Int) -> Int {
        guard n + s.utf8CodeUnitCount <= buffer.count else { return n }
        for k in 0..<s.utf8CodeUnitCount { buffer[n + k] = s.utf8Start[k] }
        return n + s.utf8CodeUnitCount
    }
}
