import FieldBus
import Testing

/// The DL/T 645-2007 codec over golden frames (computed by hand from the standard's layout:
/// 68, address low byte first, 68, C, L, data + 0x33, sum, 16) and malformed input.
@Suite struct DLT645FrameTests {
    static func hex(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    static let meter = DLT645Address(text: "000012345678")!

    /// Parses `bytes` as the reply to a read of `di` from `asked`.
    static func value(_ bytes: [UInt8], di: UInt32, asked: DLT645Address = meter) throws(DLT645Error) -> Double {
        var copy = bytes
        return try copy.withUnsafeMutableBufferPointer { buffer throws(DLT645Error) in
            guard let length = try DLT645Frame.frameLength(UnsafeBufferPointer(buffer)) else { throw .truncated }
            let frame = UnsafeMutableBufferPointer(rebasing: buffer[0..<length])
            let reply = try DLT645Frame.parse(frame)
            return try DLT645Frame.readValue(reply, in: frame, asked: asked, di: di, format: DLT645DataFormat.lookup(di)!)
        }
    }

    static func expectError(_ expected: DLT645Error, _ bytes: [UInt8], di: UInt32 = 0x0201_0100,
                            asked: DLT645Address = meter) {
        #expect(throws: expected) { try value(bytes, di: di, asked: asked) }
    }

    @Test func readRequestIsTheGoldenFrameWithWakeUpBytes() throws {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = try buffer.withUnsafeMutableBufferPointer { b throws(DLT645Error) in
            try DLT645Frame.encodeRead(address: Self.meter, di: 0x0201_0100, into: b)
        }
        #expect(Array(buffer[0..<n]) == Self.hex("FE FE FE FE 68 78 56 34 12 00 00 68 11 04 33 34 34 35 C9 16"))
    }

    @Test func broadcastTimeSyncGoesToAllNinesWithSecondsFirst() throws {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = try buffer.withUnsafeMutableBufferPointer { b throws(DLT645Error) in
            try DLT645Frame.encodeTimeSync(year: 26, month: 12, day: 7, hour: 12, minute: 34, second: 56, into: b, wakeUpBytes: 0)
        }
        #expect(Array(buffer[0..<n]) == Self.hex("68 99 99 99 99 99 99 68 08 06 89 67 45 3A 45 59 81 16"))
    }

    @Test func replyDecodesWithAnyNumberOfWakeUpBytes() throws {
        let reply = Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D4 16")
        for count in [0, 1, 4, 17] {
            #expect(try Self.value([UInt8](repeating: 0xFE, count: count) + reply, di: 0x0201_0100) == 220.1)
        }
    }

    @Test func valuesFollowTheirTableFormats() throws {
        let cases: [(UInt32, [UInt8], Double)] = [
            (0x0001_0000, [0x56, 0x34, 0x12, 0x00], 1234.56),          // forward active energy XXXXXX.XX kWh
            (0x0000_0000, [0x00, 0x00, 0x10, 0x80], -1000.0),          // combined active energy, signed
            (0x0202_0100, [0x45, 0x23, 0x01], 12.345),                 // current XXX.XXX A
            (0x0202_0200, [0x45, 0x23, 0x81], -12.345),                // current, sign bit
            (0x0203_0000, [0x78, 0x56, 0x12], 12.5678),                // active power XX.XXXX kW
            (0x0206_0000, [0x95, 0x89], -0.995),                       // power factor X.XXX, signed
            (0x0280_0002, [0x00, 0x50], 50.0),                         // frequency XX.XX Hz
            (0x0101_0000, [0x34, 0x12, 0x00, 0x30, 0x12, 0x07, 0x12, 0x26], 0.1234), // max demand XX.XXXX + time
        ]
        for (di, data, expected) in cases {
            let format = try #require(DLT645DataFormat.lookup(di))
            let got = try data.withUnsafeBufferPointer { b throws(DLT645Error) in try format.value(b) }
            #expect(abs(got - expected) < 1e-9, "\(DLT645DataFormat.text(di))")
        }
    }

    @Test func tableRefusesBlocksAndUnknownIdentifiers() {
        #expect(DLT645DataFormat.lookup(0x0001_FF00) == nil)
        #expect(DLT645DataFormat.lookup(0x0201_FF00) == nil)
        #expect(DLT645DataFormat.lookup(0x0401_0000) == nil)
        #expect(DLT645DataFormat.lookup(0x0201_0400) == nil)
    }

    @Test func errorReplyIsDecodedWithItsBits() {
        Self.expectError(.errorReply(0x02), Self.hex("68 78 56 34 12 00 00 68 D1 01 35 EB 16"))
        #expect(DLT645Error.errorReply(0x02).description.contains("no requested data"))
    }

    @Test func malformedRepliesAreRefusedWithTheirCause() {
        Self.expectError(.badChecksum(expected: 0xD4, received: 0xD5), Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D5 16"))
        Self.expectError(.badEnd, Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D4 17"))
        Self.expectError(.badStart, Self.hex("FE 00 68 78 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D4 16"))
        Self.expectError(.badStart, Self.hex("68 78 56 34 12 00 00 69 91 06 33 34 34 35 34 55 D4 16"))
        Self.expectError(.badLength(0xC9), Self.hex("68 78 56 34 12 00 00 68 91 C9 33"))
        Self.expectError(.truncated, Self.hex("FE FE 68 78 56 34 12 00 00 68 91 06 33 34"))
        // Another meter answered.
        Self.expectError(.wrongAddress, Self.hex("68 79 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D5 16"))
        // The answer to another DI (current, asked voltage).
        Self.expectError(.wrongDataIdentifier(0x0202_0100), Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 35 35 34 55 D5 16"))
        // A value byte that is not BCD (0xA1 after the offset is removed).
        Self.expectError(.badBCD, Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 34 35 D4 55 74 16"))
        // A reply without the value's bytes: L = 4 (the DI only).
        Self.expectError(.wrongDataIdentifier(0x0201_0100), Self.hex("68 78 56 34 12 00 00 68 91 04 33 34 34 35 49 16"))
    }

    @Test func wildcardAddressAcceptsTheMetersOwnAddress() throws {
        let reply = Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D4 16")
        #expect(try Self.value(reply, di: 0x0201_0100, asked: .wildcard) == 220.1)
        #expect(try Self.value(reply, di: 0x0201_0100, asked: DLT645Address(text: "AAAA12345678")!) == 220.1)
        #expect(DLT645Address(text: "00001234567") == nil)
        #expect(DLT645Address(text: "00001234567X") == nil)
        #expect(Self.meter.text == "000012345678")
    }

    @Test func everyTruncationOfAGoodFrameIsIncomplete() throws {
        let reply = [0xFE, 0xFE] + Self.hex("68 78 56 34 12 00 00 68 91 06 33 34 34 35 34 55 D4 16")
        for n in 0..<reply.count {
            let length = try Array(reply[0..<n]).withUnsafeBufferPointer { b throws(DLT645Error) in try DLT645Frame.frameLength(b) }
            #expect(length == nil)
        }
    }
}
