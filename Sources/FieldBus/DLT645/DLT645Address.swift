/// A DL/T 645 meter address: 12 BCD digits in 6 bytes, sent least significant byte first.
/// `station` holds the 6 wire bytes in that order in its low 48 bits (as `FieldAddress.station`).
/// 999999999999 is the broadcast address (time sync, no reply), AAAAAAAAAAAA the wildcard a
/// single meter on a bus answers to (the discovery of its address); the config may also use
/// 0xA as a wildcard digit at the high end ("AAAA12345678").
public struct DLT645Address: Equatable, Sendable {
    /// The wire bytes, A0 (least significant) in the low byte.
    public var station: UInt64

    public init(station: UInt64) { self.station = station & 0xFFFF_FFFF_FFFF }

    /// Every meter: the broadcast time sync goes here (meters do not answer).
    public static let broadcast = DLT645Address(station: 0x9999_9999_9999)
    /// Whichever single meter is on the bus (answers with its own address).
    public static let wildcard = DLT645Address(station: 0xAAAA_AAAA_AAAA)

    /// Parses 12 digits as printed on the meter ("000012345678"), most significant first; digits
    /// 0-9 or A/a (wildcard). Nil for anything else.
    public init?(text: String) {
        var station: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            let nibble: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "A"), UInt8(ascii: "a"): nibble = 0xA
            default: return nil
            }
            count += 1
            guard count <= 12 else { return nil }
            // The first digit printed is the most significant: it ends up in A5's high nibble.
            station |= nibble << UInt64(4 * (12 - count))
        }
        guard count == 12 else { return nil }
        self.station = station
    }

    /// Byte `i` on the wire (0: A0).
    @inlinable public func byte(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: station >> UInt64(8 * i)) }

    /// True for an address a reply may not come from verbatim (broadcast or any wildcard digit).
    public var isWildcard: Bool {
        for i in 0..<12 {
            let nibble = (station >> UInt64(4 * i)) & 0xF
            if nibble == 0xA { return true }
        }
        return self == .broadcast
    }

    /// The 12 digits, most significant first.
    public var text: String {
        var s = ""
        var i = 11
        while i >= 0 {
            let nibble = UInt8((station >> UInt64(4 * i)) & 0xF)
            s.append(Character(Unicode.Scalar(nibble < 10 ? nibble + 48 : nibble + 55)))
            i -= 1
        }
        return s
    }
}
