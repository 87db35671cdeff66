/// The remaining-length field of the fixed header: a base-128 varint of 1 to 4 bytes, values up
/// to 268,435,455. Decoding refuses a fifth byte and non-minimal encodings.
public enum MQTTRemainingLength {
    /// The largest value the field can carry.
    public static let maximum = 268_435_455

    /// What the bytes so far say about the remaining length.
    public enum Probe: Equatable, Sendable {
        /// More bytes are needed to finish the field.
        case needMore
        /// The value and how many bytes the field took.
        case complete(value: Int, fieldLength: Int)
        /// The field is malformed.
        case malformed
    }

    /// Bytes the field takes for `value` (1...4), or nil above `maximum`.
    public static func encodedLength(_ value: Int) -> Int? {
        switch value {
        case 0..<128: return 1
        case 128..<16_384: return 2
        case 16_384..<2_097_152: return 3
        case 2_097_152...maximum: return 4
        default: return nil
        }
    }

    /// Writes `value` at `offset`; the caller has checked room with `encodedLength`.
    public static func write(_ value: Int, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var v = value
        var i = offset
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v > 0 { byte |= 0x80 }
            buffer[i] = byte
            i += 1
        } while v > 0
        return i - offset
    }

    /// Reads the field starting at `bytes[offset]`.
    public static func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Probe {
        var value = 0
        var multiplier = 1
        var i = offset
        while true {
            if i - offset == 4 { return .malformed }
            if i >= bytes.count { return .needMore }
            let byte = bytes[i]
            value += Int(byte & 0x7F) * multiplier
            i += 1
            if byte & 0x80 == 0 {
                let length = i - offset
                // Non-minimal: a last byte of 0 after a continuation byte.
                if length > 1 && byte == 0 { return .malformed }
                return .complete(value: value, fieldLength: length)
            }
            multiplier *= 128
        }
    }
}
