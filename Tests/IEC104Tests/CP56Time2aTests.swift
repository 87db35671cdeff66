import IEC104
import Testing

/// CP56Time2a to and from milliseconds since 1970 (UTC): known dates byte for byte (day of week
/// 1 = Monday), a leap day's last millisecond, every field checked on decode.
@Suite struct CP56Time2aTests {
    static func encode(_ ms: Int64, invalid: Bool = false) throws -> [UInt8] {
        let (r, b) = FrameBytes.scratch(7) { p throws(IEC104Error) in try CP56Time2a(milliseconds: ms, invalid: invalid).encode(into: p, at: 0) }
        try r.get()
        return b
    }

    static func decode(_ hex: String) -> Result<CP56Time2a, IEC104Error> {
        FrameBytes.reading(FrameBytes.hex(hex)) { p throws(IEC104Error) in try CP56Time2a.decode(p, at: 0) }
    }

    @Test func knownInstantsEncodeFieldByField() throws {
        // 2026-01-01T00:00:00.000Z, a Thursday.
        #expect(try Self.encode(1_767_225_600_000) == FrameBytes.hex("00 00 00 00 81 01 1a"))
        // 2024-02-29T23:59:59.999Z, a Thursday: 59999 ms, minute 59, hour 23, day 29.
        #expect(try Self.encode(1_709_251_199_999) == FrameBytes.hex("5f ea 3b 17 9d 02 18"))
        #expect(try Self.encode(1_767_225_600_000, invalid: true) == FrameBytes.hex("00 00 80 00 81 01 1a"))
        #expect(Self.decode("5f ea 3b 17 9d 02 18") == .success(CP56Time2a(milliseconds: 1_709_251_199_999)))
        // Day of week 0 (not used) and SU are accepted; IV is reported.
        #expect(Self.decode("00 00 80 80 01 01 1a") == .success(CP56Time2a(milliseconds: 1_767_225_600_000, invalid: true, summerTime: true)))
    }

    @Test func everyMinuteOfACenturyRoundTrips() throws {
        var ms = CP56Time2a.earliest
        while ms < CP56Time2a.latest {
            let decoded = try FrameBytes.scratch(7) { p throws(IEC104Error) -> CP56Time2a in
                try CP56Time2a(milliseconds: ms).encode(into: p, at: 0)
                return try CP56Time2a.decode(UnsafeRawBufferPointer(p), at: 0)
            }.0.get()
            #expect(decoded.milliseconds == ms)
            ms += 86_400_000 * 13 + 3_600_000 * 7 + 60_000 * 11 + 1234
        }
    }

    @Test func fieldsOutOfRangeAreRefusedAtTheirByte() {
        func place(_ hex: String) -> Int? {
            if case .failure(let e) = Self.decode(hex), e.kind == .badTime { return e.offset }
            return nil
        }
        #expect(place("60 ea 00 00 01 01 1a") == 0)   // 60000 ms
        #expect(place("00 00 3c 00 01 01 1a") == 2)   // minute 60
        #expect(place("00 00 00 18 01 01 1a") == 3)   // hour 24
        #expect(place("00 00 00 00 00 01 1a") == 4)   // day 0
        #expect(place("00 00 00 00 1e 02 1a") == 4)   // 30 February
        #expect(place("00 00 00 00 1d 02 19") == 4)   // 29 February 2025
        #expect(place("00 00 00 00 01 00 1a") == 5)   // month 0
        #expect(place("00 00 00 00 01 0d 1a") == 5)   // month 13
        #expect(place("00 00 00 00 01 01 64") == 6)   // year 100
        #expect(Self.encodeFails(CP56Time2a.earliest - 1))
        #expect(Self.encodeFails(CP56Time2a.latest + 1))
    }

    static func encodeFails(_ ms: Int64) -> Bool { (try? encode(ms)) == nil }
}
