/// The rules of the standard for UTF-8 strings, topic names and topic filters (MQTT 3.1.1
/// sections 1.5.3 and 4.7): well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing
/// above U+10FFFF), no U+0000, names without wildcards, filters with wildcards only where allowed.
/// Returns the first problem and its byte index, or nil; allocates nothing.
public enum MQTTTopicValidation {
    /// The first violation in a UTF-8 string field, with the index of its first byte.
    public static func checkString<C: Collection<UInt8>>(_ bytes: C) -> (MQTTProtocolError.Kind, Int)? {
        var index = 0
        var need = 0          // continuation bytes still expected
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        var start = 0
        for b in bytes {
            if need == 0 {
                start = index
                switch b {
                case 0x00: return (.nullCharacter, index)
                case 0x01...0x7F: break
                case 0xC2...0xDF: need = 1
                case 0xE0: need = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE, 0xEF: need = 2
                case 0xED: need = 2; upper = 0x9F          // no surrogates
                case 0xF0: need = 3; lower = 0x90
                case 0xF1...0xF3: need = 3
                case 0xF4: need = 3; upper = 0x8F          // nothing above U+10FFFF
                default: return (.invalidUTF8, index)
                }
            } else {
                if b < lower || b > upper { return (.invalidUTF8, start) }
                lower = 0x80; upper = 0xBF
                need -= 1
            }
            index += 1
        }
        return need == 0 ? nil : (.invalidUTF8, start)
    }

    /// The first violation in a topic name (PUBLISH, will topic).
    public static func checkTopicName<C: Collection<UInt8>>(_ bytes: C) -> (MQTTProtocolError.Kind, Int)? {
        if bytes.isEmpty { return (.emptyTopic, 0) }
        if let problem = checkString(bytes) { return problem }
        var index = 0
        for b in bytes {
            if b == UInt8(ascii: "+") || b == UInt8(ascii: "#") { return (.wildcardInTopicName, index) }
            index += 1
        }
        return nil
    }

    /// The first violation in a topic filter (SUBSCRIBE, UNSUBSCRIBE): `#` only as the whole last
    /// level, `+` only as a whole level.
    public static func checkTopicFilter<C: Collection<UInt8>>(_ bytes: C) -> (MQTTProtocolError.Kind, Int)? {
        if bytes.isEmpty { return (.emptyTopic, 0) }
        if let problem = checkString(bytes) { return problem }
        let slash = UInt8(ascii: "/")
        var index = 0
        var previous: UInt8 = slash     // as if a level separator came before the first byte
        var afterHash = false
        for b in bytes {
            if afterHash { return (.invalidTopicFilter, index - 1) }
            if b == UInt8(ascii: "#") || b == UInt8(ascii: "+") {
                if previous != slash { return (.invalidTopicFilter, index) }
                if b == UInt8(ascii: "#") { afterHash = true }
            } else if previous == UInt8(ascii: "+") && b != slash {
                return (.invalidTopicFilter, index - 1)
            }
            previous = b
            index += 1
        }
        return nil
    }
}
