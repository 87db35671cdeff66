import IEC104
import Testing

/// ASDUs as IEC 60870-5-101/104 define them (data unit identifier, 3-byte IOAs, SQ = 0 and 1),
/// one golden ASDU per supported type, quality descriptors mapped, commands encoded as
/// lib60870/c104 expect them (its `explain_bytes` reads the interrogation below as C_IC_NA_1,
/// ACTIVATION, CA 1, OA 0, IOA 0, QOI 20), and malformed ASDUs refused whole.
@Suite struct ASDUCodecTests {
    static func read(_ hex: String) -> Result<(ASDUHeader, [InformationObject]), IEC104Error> {
        FrameBytes.reading(FrameBytes.hex(hex)) { p throws(IEC104Error) in
            var r = try ASDUReader(p)
            var objects: [InformationObject] = []
            while let o = try r.next() { objects.append(o) }
            return (r.header, objects)
        }
    }

    static func objects(_ hex: String) -> [InformationObject] {
        if case .success(let (_, o)) = read(hex) { return o }
        return []
    }

    static func encode(_ r: ControlRequest, ca: UInt16, ioa: UInt32 = 0, cause: Cause = .activation) throws -> [UInt8] {
        let (result, b) = FrameBytes.scratch(64) { p throws(IEC104Error) in try ASDUEncoder.encode(r, commonAddress: ca, address: ioa, cause: cause, into: p) }
        return Array(b[0..<(try result.get())])
    }

    @Test func headerFieldsAreDecoded() throws {
        guard case .success(let (h, _)) = Self.read("0d 01 c7 05 2f 01 0b 00 00 00 00 48 41 00") else { Issue.record("refused"); return }
        #expect(h.type == .shortFloat)
        #expect(h.count == 1 && !h.isSequence)
        #expect(h.cause == .activationConfirmation && h.negative && h.test)
        #expect(h.originator == 5)
        #expect(h.commonAddress == 0x012F)
    }

    @Test func measuredValuesOfEachTypeAreDecoded() {
        // M_ME_NC_1 12.5, QDS overflow
        #expect(Self.objects("0d 01 03 00 2f 00 0b 00 00 00 00 48 41 01") ==
                [InformationObject(address: 11, value: .float(12.5), quality: .overflow)])
        // M_ME_NA_1 0x4000 = 0.5, QDS good; M_ME_NB_1 -2, QDS invalid + not topical
        #expect(Self.objects("09 01 03 00 2f 00 0c 00 00 00 40 00") == [InformationObject(address: 12, value: .normalized(0.5))])
        #expect(Self.objects("0b 01 03 00 2f 00 0d 00 00 fe ff c0") ==
                [InformationObject(address: 13, value: .scaled(-2), quality: [.invalid, .notTopical])])
        // M_IT_NA_1 counter 100000, sequence 3, carry + adjusted
        #expect(Self.objects("0f 01 25 00 2f 00 0e 00 00 a0 86 01 00 63") ==
                [InformationObject(address: 14, value: .counter(100_000, sequence: 3), quality: [.overflow, .adjusted])])
    }

    @Test func pointsWithTimeCarryTheDevicesTimeStamp() {
        let t = "00 00 00 00 81 01 1a"   // 2026-01-01T00:00:00Z
        let time = CP56Time2a(milliseconds: 1_767_225_600_000)
        #expect(Self.objects("1e 01 03 00 2f 00 01 00 00 31 " + t) ==
                [InformationObject(address: 1, value: .single(true), quality: [.blocked, .substituted], time: time)])
        #expect(Self.objects("1f 01 03 00 2f 00 02 00 00 02 " + t) == [InformationObject(address: 2, value: .double(.on), time: time)])
        #expect(Self.objects("22 01 03 00 2f 00 03 00 00 00 c0 00 " + t) == [InformationObject(address: 3, value: .normalized(-0.5), time: time)])
        #expect(Self.objects("23 01 03 00 2f 00 04 00 00 e8 03 00 " + t) == [InformationObject(address: 4, value: .scaled(1000), time: time)])
        #expect(Self.objects("24 01 03 00 2f 00 05 00 00 00 00 c0 bf 80 " + t) ==
                [InformationObject(address: 5, value: .float(-1.5), quality: .invalid, time: time)])
        #expect(Self.objects("25 01 03 00 2f 00 06 00 00 ff ff ff ff 1f " + t) ==
                [InformationObject(address: 6, value: .counter(-1, sequence: 31), time: time)])
    }

    @Test func sequencesOfElementsTakeConsecutiveAddresses() {
        // M_SP_NA_1, SQ = 1, 3 elements from IOA 0x010064, interrogated by station (COT 20).
        guard case .success(let (h, o)) = Self.read("01 83 14 00 2f 00 64 00 01 01 00 81") else { Issue.record("refused"); return }
        #expect(h.isSequence && h.cause == .interrogatedByStation)
        #expect(o == [InformationObject(address: 0x010064, value: .single(true)),
                      InformationObject(address: 0x010065, value: .single(false)),
                      InformationObject(address: 0x010066, value: .single(true), quality: .invalid)])
        // M_DP_NA_1, SQ = 0, two objects, the second intermediate (DPI 0).
        #expect(Self.objects("03 02 03 00 2f 00 07 00 00 01 08 00 00 00") ==
                [InformationObject(address: 7, value: .double(.off)), InformationObject(address: 8, value: .double(.intermediate))])
    }

    @Test func commandsAndRequestsAreEncodedByteForByte() throws {
        #expect(try Self.encode(.interrogation(), ca: 1) == FrameBytes.hex("64 01 06 00 01 00 00 00 00 14"))
        #expect(try Self.encode(.counterInterrogation(), ca: 47) == FrameBytes.hex("65 01 06 00 2f 00 00 00 00 05"))
        #expect(try Self.encode(.single(true, select: true), ca: 47, ioa: 0x0A0B0C) == FrameBytes.hex("2d 01 06 00 2f 00 0c 0b 0a 81"))
        #expect(try Self.encode(.single(false, qualifier: 1), ca: 47, ioa: 5) == FrameBytes.hex("2d 01 06 00 2f 00 05 00 00 04"))
        #expect(try Self.encode(.double(.on, select: true), ca: 47, ioa: 12) == FrameBytes.hex("2e 01 06 00 2f 00 0c 00 00 82"))
        #expect(try Self.encode(.double(.off), ca: 47, ioa: 12, cause: .deactivation) == FrameBytes.hex("2e 01 08 00 2f 00 0c 00 00 01"))
        #expect(try Self.encode(.setpointFloat(12.5), ca: 47, ioa: 20) == FrameBytes.hex("32 01 06 00 2f 00 14 00 00 00 00 48 41 00"))
        #expect(try Self.encode(.clockSynchronisation(CP56Time2a(milliseconds: 1_767_225_600_000)), ca: 47) ==
                FrameBytes.hex("67 01 06 00 2f 00 00 00 00 00 00 00 00 81 01 1a"))
        #expect((try? Self.encode(.double(.intermediate), ca: 1)) == nil)
        #expect((try? Self.encode(.single(true, qualifier: 32), ca: 1)) == nil)
        #expect((try? Self.encode(.single(true), ca: 1, ioa: 0x100_0000)) == nil)
    }

    @Test func confirmationsEchoTheCommand() {
        guard case .success(let (h, o)) = Self.read("2d 01 47 00 2f 00 0c 00 00 81") else { Issue.record("refused"); return }
        #expect(h.cause == .activationConfirmation && h.negative)
        #expect(o == [InformationObject(address: 12, value: .single(true), qualifier: 0x81)])
    }

    @Test func malformedASDUsAreRefusedBeforeAnyObject() {
        func kind(_ hex: String) -> IEC104Error.Kind? {
            if case .failure(let e) = Self.read(hex) { return e.kind }
            return nil
        }
        #expect(kind("0d 01 03 00 2f") == .truncated)                              // header cut
        #expect(kind("0d 01 03 00 2f 00 0b 00 00 00 00 48 41") == .truncated)     // QDS missing
        #expect(kind("0d 01 03 00 2f 00 0b 00 00 00 00 48 41 00 00") == .trailingBytes)
        #expect(kind("0d 00 03 00 2f 00") == .noObjects)
        #expect(kind("0d 02 03 00 2f 00 0b 00 00 00 00 48 41 00") == .truncated)  // says 2, has 1
        #expect(kind("02 01 03 00 2f 00 0b 00 00 00") == .valueOutOfRange)       // M_SP_TA_1: not decoded
        #expect(kind("1e 01 03 00 2f 00 01 00 00 01 00 00 00 00 81 0d 1a") == .badTime)
        #expect(kind("01 82 03 00 2f 00 ff ff ff 00 00") == .valueOutOfRange)    // SQ runs past IOA 2^24-1
    }
}
