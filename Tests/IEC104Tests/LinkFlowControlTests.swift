import EdgeCore
import IEC104
import Testing

/// The k and w windows, the T1-T3 timers and sequence errors, on the manual clock.
@Suite struct LinkFlowControlTests {
    static let point = FrameBytes.hex("0d 01 03 00 2f 00 0b 00 00 00 00 48 41 00")

    @Test func wReceivedFramesAreAcknowledgedAtOnce() {
        var h = LinkHarness()
        h.start()
        for i in 1...7 {
            h.feedASDU(Self.point)
            #expect(h.takeOutput().isEmpty, "after \(i)")
        }
        h.feedASDU(Self.point)
        #expect(h.takeOutput() == [FrameBytes.supervisory(receive: 8)])
        #expect(h.link.unacknowledgedReceived == 0)
    }

    @Test func fewerThanWFramesAreAcknowledgedAfterT2() {
        var h = LinkHarness()
        h.start()
        h.feedASDU(Self.point)
        h.clock.advance(milliseconds: 5000)
        h.feedASDU(Self.point)
        #expect(h.link.poll() == .wait(until: MonotonicInstant(nanoseconds: 10_000_000_000)))
        h.clock.advance(milliseconds: 4999)
        _ = h.link.poll()
        #expect(h.takeOutput().isEmpty)
        h.clock.advance(milliseconds: 1)
        _ = h.link.poll()
        #expect(h.takeOutput() == [FrameBytes.supervisory(receive: 2)])
    }

    @Test func idleLinkIsTestedAfterT3AndClosedWithoutAnswer() {
        var h = LinkHarness()
        h.start()
        h.feed(FrameBytes.supervisory(receive: 1))
        h.clock.advance(milliseconds: 20_000)
        _ = h.link.poll()
        #expect(h.takeOutput() == [FrameBytes.unnumbered(.testActivation)])
        // Answered: the link stays, and is tested again after another T3.
        h.feed(FrameBytes.unnumbered(.testConfirmation))
        h.clock.advance(milliseconds: 19_999)
        _ = h.link.poll()
        #expect(h.takeOutput().isEmpty)
        h.clock.advance(milliseconds: 1)
        _ = h.link.poll()
        #expect(h.takeOutput() == [FrameBytes.unnumbered(.testActivation)])
        // Not answered within T1: closed.
        h.clock.advance(milliseconds: 15_000)
        #expect(h.link.poll() == .close(.acknowledgementTimeout))
        #expect(h.link.statistics.testFramesSent == 2)
    }

    @Test func outstationsTestIsConfirmed() {
        var h = LinkHarness()
        h.start()
        h.feed(FrameBytes.unnumbered(.testActivation))
        #expect(h.takeOutput() == [FrameBytes.unnumbered(.testConfirmation)])
    }

    @Test func unacknowledgedIFrameClosesAfterT1() throws {
        var h = LinkHarness { $0.interrogateAtStart = false }
        h.start()
        try h.link.send(.single(true), commonAddress: 47, address: 1)
        h.clock.advance(milliseconds: 10_000)
        h.feed(FrameBytes.unnumbered(.testActivation))   // traffic, but no acknowledgement
        h.clock.advance(milliseconds: 4_999)
        if case .close = h.link.poll() { Issue.record("closed before T1") }
        h.clock.advance(milliseconds: 1)
        #expect(h.link.poll() == .close(.acknowledgementTimeout))
    }

    @Test func sendingStopsAtKUnacknowledgedFrames() throws {
        var h = LinkHarness { p in p.interrogateAtStart = false; p.k = 3 }
        h.start()
        for _ in 0..<3 { try h.link.send(.single(true), commonAddress: 47, address: 1) }
        #expect(throws: IEC104Error(.windowFull, value: 3)) { try h.link.send(.single(true), commonAddress: 47, address: 1) }
        #expect(h.takeOutput().count == 3)
        h.feed(FrameBytes.supervisory(receive: 2))
        #expect(h.link.unacknowledgedSent == 1)
        try h.link.send(.single(true), commonAddress: 47, address: 1)
        try h.link.send(.single(true), commonAddress: 47, address: 1)
        #expect(throws: IEC104Error(.windowFull, value: 3)) { try h.link.send(.single(true), commonAddress: 47, address: 1) }
        // The oldest unacknowledged frame now is the third (sent at 0); its T1 counts.
        h.clock.advance(milliseconds: 15_000)
        #expect(h.link.poll() == .close(.acknowledgementTimeout))
    }

    @Test func parametersOutsideTheirRangesDoNotTrap() throws {
        var p = LinkParameters()
        p.k = 0
        p.w = -1
        #expect(p.problem == "k must be 1...32767")
        var h = LinkHarness { $0.k = 0; $0.w = -1; $0.interrogateAtStart = false }
        h.start()
        h.feed(FrameBytes.supervisory(receive: 0))
        try h.link.send(.single(true), commonAddress: 47, address: 1)   // k taken as 1
        #expect(throws: IEC104Error(.windowFull, value: 1)) { try h.link.send(.single(true), commonAddress: 47, address: 1) }
        h.feed(FrameBytes.supervisory(receive: 1))
        h.feedASDU(Self.point)
        #expect(h.lastError == nil)
        #expect(h.link.state == .started)
    }

    @Test func scheduledInterrogationWaitsForTheWindow() throws {
        var h = LinkHarness { p in p.interrogateAtStart = false; p.k = 1 }
        h.start()
        try h.link.send(.single(true), commonAddress: 47, address: 1)
        h.link.requestInterrogation()
        _ = h.link.poll()
        #expect(h.takeOutput().count == 1)
        h.feed(FrameBytes.supervisory(receive: 1))
        _ = h.link.poll()
        #expect(h.takeOutput().map { $0[6] } == [100])
    }

    @Test func outOfSequenceIFrameClosesTheLink() {
        var h = LinkHarness()
        h.start()
        h.feedASDU(Self.point)
        h.outstationSend = 5   // frames 1-4 lost
        h.feedASDU(Self.point)
        #expect(h.lastError == IEC104Error(.sequenceError, offset: 2, value: 5))
        #expect(h.link.poll() == .close(.protocolError(IEC104Error(.sequenceError, offset: 2, value: 5))))
        // Nothing more is taken in once closed.
        let decoded = h.link.statistics.pointsDecoded
        h.outstationSend = 1
        h.feedASDU(Self.point)
        #expect(h.link.statistics.pointsDecoded == decoded)
    }

    @Test func acknowledgementOfAFrameNeverSentClosesTheLink() {
        var h = LinkHarness()
        h.start()   // one I frame (the interrogation) sent
        h.feed(FrameBytes.supervisory(receive: 2))
        #expect(h.lastError?.kind == .badAcknowledgement)
        #expect(h.link.state == .closed)
    }

    @Test func sequenceNumbersWrapAt32768() {
        var h = LinkHarness { $0.w = 100 }
        h.start()
        h.feed(FrameBytes.supervisory(receive: 1))
        for _ in 0..<32770 { h.feedASDU(Self.point); _ = h.takeOutput() }
        #expect(h.lastError == nil)
        #expect(h.link.receiveSequence == 2)
        #expect(h.link.statistics.pointsDecoded == 32770)
    }

    @Test func malformedASDUIsSkippedAndTheLinkStays() {
        var h = LinkHarness()
        h.start()
        h.feedASDU(FrameBytes.hex("0d 01 03 00 2f 00 0b 00 00 00 00 48 41"))   // QDS missing
        h.feedASDU(FrameBytes.hex("7f 01 03 00 2f 00 0b 00 00 00"))            // unknown type 127
        h.feedASDU(FrameBytes.hex("1e 02 03 00 2f 00 01 00 00 01 00 00 00 00 81 01 1a 02 00 00 01 00 00 00 00 81 0d 1a"))
        h.feedASDU(Self.point)
        #expect(h.lastError == nil)
        #expect(h.link.statistics.asdusRejected == 3)
        #expect(h.link.statistics.unknownTypes == 1)
        // The ASDU with one bad time stamp reports neither of its points.
        #expect(h.events.filter { if case .data = $0 { return true } else { return false } }.count == 1)
        #expect(h.events.contains(.rejected(IEC104Error(.valueOutOfRange, offset: 0, value: 127), typeCode: 127)))
    }

    @Test func badStartByteInTheStreamClosesTheLink() {
        var h = LinkHarness()
        h.start()
        h.feed(FrameBytes.hex("68 04 01 00 02 00 67 04"))
        #expect(h.lastError == IEC104Error(.badStartByte, offset: 0, value: 0x67))
        #expect(h.link.state == .closed)
    }

    @Test func framesSplitAnywhereAreReassembled() {
        var h = LinkHarness()
        h.start()
        let frame = FrameBytes.information(send: 0, receive: 1, asdu: Self.point)
        for byte in frame { h.feed([byte]) }
        let two = FrameBytes.information(send: 1, receive: 1, asdu: Self.point) + FrameBytes.information(send: 2, receive: 1, asdu: Self.point)
        h.feed(Array(two[0..<5]))
        h.feed(Array(two[5...]))
        #expect(h.lastError == nil)
        #expect(h.link.statistics.pointsDecoded == 3)
    }

    @Test func stopdtAcknowledgesThenStops() {
        var h = LinkHarness()
        h.start()
        h.feedASDU(Self.point, acknowledging: 1)
        h.link.stop()
        #expect(h.takeOutput() == [FrameBytes.supervisory(receive: 1), FrameBytes.unnumbered(.stopActivation)])
        h.feed(FrameBytes.unnumbered(.stopConfirmation))
        #expect(h.link.state == .stopped)
        #expect(h.events.last == .stopped)
    }
}
