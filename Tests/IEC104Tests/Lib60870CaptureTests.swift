import EdgeCore
import IEC104
import Testing

/// A byte stream captured from the c104 2.2.1 outstation (lib60870-C inside, Tools/
/// iec104_test_outstation.py) answering STARTDT, a GI to CA 47 and a single command, replayed
/// into the link on the manual clock in one piece: how lib60870 frames its answers (GI points as
/// SQ = 1 single-element ASDUs, CP56Time2a with day of week 0, N(R) piggybacked on I frames) is
/// read as the standard means it.
@Suite struct Lib60870CaptureTests {
    static let interrogationAnswer = FrameBytes.hex("""
        68 0e 00 00 02 00 64 01 07 00 2f 00 00 00 00 14
        68 0e 02 00 02 00 01 81 14 00 2f 00 0c 00 00 81
        68 0e 04 00 02 00 03 81 14 00 2f 00 0d 00 00 02
        68 10 06 00 02 00 0b 81 14 00 2f 00 0e 00 00 d4 fe 60
        68 12 08 00 02 00 0d 81 14 00 2f 00 0b 00 00 00 00 48 41 00
        68 19 0a 00 02 00 24 81 14 00 2f 00 0f 00 00 00 00 c0 bf 00 fa 00 00 00 01 01 1a
        68 0e 0c 00 02 00 64 01 0a 00 2f 00 00 00 00 14
        """)
    static let spontaneousAndConfirmation = FrameBytes.hex("""
        68 12 0e 00 04 00 0d 01 03 00 2f 00 0b 00 00 00 00 c7 42 00
        68 0e 10 00 04 00 2d 01 07 00 2f 00 14 00 00 01
        """)

    @Test func capturedInterrogationSpontaneousDataAndCommandAreRead() throws {
        var h = LinkHarness()
        let opening = h.start()
        #expect(opening == [FrameBytes.hex("68 04 07 00 00 00"), FrameBytes.hex("68 0e 00 00 00 00 64 01 06 00 2f 00 00 00 00 14")])
        h.feed(Self.interrogationAnswer)
        try h.link.send(.single(true), commonAddress: 47, address: 20)
        // The command acknowledges the 7 I frames received (N(R) = 7).
        #expect(h.takeOutput() == [FrameBytes.hex("68 0e 02 00 0e 00 2d 01 06 00 2f 00 14 00 00 01")])
        h.feed(Self.spontaneousAndConfirmation)
        #expect(h.lastError == nil)
        func point(_ ioa: UInt32, _ type: TypeIdentification, _ v: ElementValue, _ q: Quality, _ t: CP56Time2a? = nil, cause: UInt8 = 20) -> LinkEvent {
            .data(DataPoint(commonAddress: 47, address: ioa, type: type, value: v, quality: q, time: t, causeCode: cause))
        }
        func response(_ type: TypeIdentification, _ ioa: UInt32, _ cause: UInt8, _ v: ElementValue, _ q: UInt8) -> LinkEvent {
            .response(ControlResponse(commonAddress: 47, address: ioa, type: type, causeCode: cause, negative: false, value: v, qualifier: q))
        }
        #expect(h.events == [
            .started,
            response(.interrogation, 0, 7, .none, 20),
            point(12, .singlePoint, .single(true), .invalid),
            point(13, .doublePoint, .double(.on), .good),
            point(14, .scaled, .scaled(-300), [.notTopical, .substituted]),
            point(11, .shortFloat, .float(12.5), .good),
            point(15, .shortFloatTime, .float(-1.5), .good, CP56Time2a(milliseconds: 1_767_225_600_250)),
            response(.interrogation, 0, 10, .none, 20),
            point(11, .shortFloat, .float(99.5), .good, cause: 3),
            response(.singleCommand, 20, 7, .single(true), 0x01),
        ])
        #expect(h.link.unacknowledgedSent == 0)
        #expect(h.link.receiveSequence == 9)
    }
}
