import IEC104
import Testing

/// The APCI as IEC 60870-5-104 gives it (clause 5): the U frames byte for byte, S and I frames
/// with sequence numbers mod 32768, and every malformed header refused with its place.
@Suite struct APCICodecTests {
    static func encode(_ apci: APCI, asduLength: Int = 0) throws -> [UInt8] {
        let (r, b) = FrameBytes.scratch(6 + asduLength) { p throws(IEC104Error) in try APCICodec.encode(apci, asduLength: asduLength, into: p) }
        _ = try r.get()
        return Array(b[0..<6])
    }

    static func decode(_ bytes: [UInt8]) -> Result<APCI, IEC104Error> {
        FrameBytes.reading(bytes) { p throws(IEC104Error) in try APCICodec.decode(p).0 }
    }

    @Test func uFramesAreTheStandardsSixBytes() throws {
        let golden: [(UFunction, String)] = [
            (.startActivation, "68 04 07 00 00 00"), (.startConfirmation, "68 04 0b 00 00 00"),
            (.stopActivation, "68 04 13 00 00 00"), (.stopConfirmation, "68 04 23 00 00 00"),
            (.testActivation, "68 04 43 00 00 00"), (.testConfirmation, "68 04 83 00 00 00"),
        ]
        for (function, hex) in golden {
            #expect(try Self.encode(.unnumbered(function)) == FrameBytes.hex(hex))
            #expect(Self.decode(FrameBytes.hex(hex)) == .success(.unnumbered(function)))
        }
    }

    @Test func sequenceNumbersUseFifteenBitsShiftedByOne() throws {
        #expect(try Self.encode(.supervisory(receive: 5)) == FrameBytes.hex("68 04 01 00 0a 00"))
        #expect(try Self.encode(.information(send: 32767, receive: 1), asduLength: 1) == FrameBytes.hex("68 05 fe ff 02 00"))
        #expect(try Self.encode(.information(send: 300, receive: 129), asduLength: 1) == FrameBytes.hex("68 05 58 02 02 01"))
        #expect(Self.decode(FrameBytes.hex("68 05 fe ff 02 00 01")) == .success(.information(send: 32767, receive: 1)))
        #expect(SequenceNumber.next(32767) == 0)
        #expect(SequenceNumber.distance(from: 32766, to: 1) == 3)
    }

    @Test func malformedHeadersAreRefusedWithTheirPlace() {
        func kind(_ hex: String) -> (IEC104Error.Kind, Int)? {
            if case .failure(let e) = Self.decode(FrameBytes.hex(hex)) { return (e.kind, e.offset) }
            return nil
        }
        #expect(kind("69 04 07 00 00 00")! == (.badStartByte, 0))
        #expect(kind("68 03 07 00 00")! == (.badLength, 1))
        #expect(kind("68 fe 07 00 00 00")! == (.badLength, 1))
        #expect(kind("68 04 07 00 00")! == (.truncated, 5))
        #expect(kind("68 04 00 00 00 00")! == (.badLength, 1))          // I frame without ASDU
        #expect(kind("68 05 07 00 00 00 01")! == (.badLength, 1))       // U frame with bytes after it
        #expect(kind("68 04 0f 00 00 00")! == (.unexpectedFrame, 2))    // two functions at once
        #expect(kind("68 04 07 01 00 00")! == (.unexpectedFrame, 2))
        #expect(kind("68")! == (.truncated, 1))
    }

    @Test func encodingRefusesWhatDoesNotFit() {
        let small = FrameBytes.scratch(5) { p throws(IEC104Error) in try APCICodec.encode(.unnumbered(.startActivation), into: p) }.0
        #expect(small == .failure(IEC104Error(.bufferTooSmall, value: 6)))
        let tooLong = FrameBytes.scratch(300) { p throws(IEC104Error) in try APCICodec.encode(.information(send: 0, receive: 0), asduLength: 250, into: p) }.0
        #expect(tooLong == .failure(IEC104Error(.valueOutOfRange, value: 250)))
    }
}
