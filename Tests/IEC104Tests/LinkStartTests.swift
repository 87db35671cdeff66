import EdgeCore
import IEC104
import Testing

/// The start of a link: T0 on the connect, STARTDT act and its T1, the general interrogation
/// right after STARTDT con (the frame lib60870's master sends, sequence 0/0), the schedules of
/// general and counter interrogation, and events for data and responses.
@Suite struct LinkStartTests {
    @Test func connectNotMadeWithinT0Closes() {
        var h = LinkHarness()
        h.link.connecting()
        #expect(h.link.poll() == .wait(until: MonotonicInstant(nanoseconds: 30_000_000_000)))
        h.clock.advance(milliseconds: 30_000)
        #expect(h.link.poll() == .close(.connectTimeout))
    }

    @Test func startdtThenInterrogationOfTheStation() {
        var h = LinkHarness()
        h.link.connecting()
        h.link.connectionOpened()
        #expect(h.takeOutput() == [FrameBytes.hex("68 04 07 00 00 00")])
        #expect(h.link.state == .starting)
        // Data before STARTDT con is a protocol error; here the con comes.
        h.feed(FrameBytes.unnumbered(.startConfirmation))
        #expect(h.events == [.started])
        #expect(h.link.state == .started)
        _ = h.link.poll()
        #expect(h.takeOutput() == [FrameBytes.hex("68 0e 00 00 00 00 64 01 06 00 2f 00 00 00 00 14")])
        #expect(h.link.unacknowledgedSent == 1)
    }

    @Test func startdtNotConfirmedWithinT1Closes() {
        var h = LinkHarness()
        h.link.connecting()
        h.link.connectionOpened()
        h.clock.advance(milliseconds: 14_999)
        if case .close = h.link.poll() { Issue.record("closed before T1") }
        h.clock.advance(milliseconds: 1)
        #expect(h.link.poll() == .close(.acknowledgementTimeout))
        #expect(h.link.statistics.closes == 1)
    }

    @Test func iFrameBeforeStartdtConClosesTheLink() {
        var h = LinkHarness()
        h.link.connecting()
        h.link.connectionOpened()
        h.feedASDU(FrameBytes.hex("0d 01 03 00 2f 00 0b 00 00 00 00 48 41 00"))
        #expect(h.lastError?.kind == .unexpectedFrame)
        #expect(h.link.poll() == .close(.protocolError(h.lastError!)))
        #expect(h.events.isEmpty)
    }

    @Test func interrogationRepeatsOnItsScheduleAndCountersOnTheirs() {
        var h = LinkHarness { p in
            p.interrogationPeriodMilliseconds = 60_000
            p.counterInterrogationPeriodMilliseconds = 90_000
        }
        h.start()
        h.feed(FrameBytes.supervisory(receive: 1))
        for second in 1...180 {
            h.clock.advance(milliseconds: 1000)
            h.feed(FrameBytes.unnumbered(.testActivation))   // keeps T3 quiet
            _ = h.link.poll()
            let frames = h.takeOutput().filter { $0.count > 6 }
            let types = frames.map { $0[6] }
            switch second {
            case 60, 120: #expect(types == [100], "second \(second)")
            case 180: #expect(types == [100, 101], "second \(second)")
            case 90: #expect(types == [101], "second \(second)")
            default: #expect(types.isEmpty, "second \(second): \(types)")
            }
            h.feed(FrameBytes.supervisory(receive: h.link.sendSequence))
        }
    }

    @Test func dataAndResponsesBecomeEvents() throws {
        var h = LinkHarness()
        h.start()
        h.feedASDU(FrameBytes.hex("64 01 07 00 2f 00 00 00 00 14"))                          // GI actcon
        h.feedASDU(FrameBytes.hex("24 01 14 00 2f 00 05 00 00 00 00 c0 bf 80 00 00 00 00 81 01 1a"))
        h.feedASDU(FrameBytes.hex("64 01 0a 00 2f 00 00 00 00 14"))                          // GI actterm
        h.feedASDU(FrameBytes.hex("46 01 04 00 2f 00 00 00 00 00"))                          // end of initialisation
        #expect(h.lastError == nil)
        #expect(h.events == [
            .started,
            .response(ControlResponse(commonAddress: 47, address: 0, type: .interrogation, causeCode: 7, negative: false, value: .none, qualifier: 20)),
            .data(DataPoint(commonAddress: 47, address: 5, type: .shortFloatTime, value: .float(-1.5), quality: .invalid,
                            time: CP56Time2a(milliseconds: 1_767_225_600_000), causeCode: 20)),
            .response(ControlResponse(commonAddress: 47, address: 0, type: .interrogation, causeCode: 10, negative: false, value: .none, qualifier: 20)),
            .endOfInitialisation(commonAddress: 47),
        ])
        // After end of initialisation the station is interrogated again.
        _ = h.link.poll()
        #expect(h.takeOutput().map { $0.count > 6 ? $0[6] : 0 }.contains(100))
    }

    @Test func selectThenExecuteOfASingleCommand() throws {
        var h = LinkHarness()
        h.start()
        try h.link.send(.single(true, select: true), commonAddress: 47, address: 12)
        #expect(h.takeOutput() == [FrameBytes.hex("68 0e 02 00 00 00 2d 01 06 00 2f 00 0c 00 00 81")])
        h.feedASDU(FrameBytes.hex("2d 01 07 00 2f 00 0c 00 00 81"), acknowledging: 2)
        guard case .response(let r) = h.events.last else { Issue.record("no response"); return }
        #expect(r.isSelect && !r.negative && r.cause == .activationConfirmation)
        try h.link.send(.single(true), commonAddress: 47, address: 12)
        #expect(h.takeOutput() == [FrameBytes.hex("68 0e 04 00 02 00 2d 01 06 00 2f 00 0c 00 00 01")])
        h.feedASDU(FrameBytes.hex("2d 01 07 00 2f 00 0c 00 00 01"), acknowledging: 3)
        // The termination as lib60870 sends it, with the select's S/E = 1 echoed: not a select.
        h.feedASDU(FrameBytes.hex("2d 01 0a 00 2f 00 0c 00 00 81"))
        guard case .response(let t) = h.events.last else { Issue.record("no termination"); return }
        #expect(t.cause == .activationTermination && !t.isSelect)
        #expect(h.link.unacknowledgedSent == 0)
    }
}
