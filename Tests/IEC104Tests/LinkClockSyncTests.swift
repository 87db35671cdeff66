import EdgeCore
import IEC104
import Testing

/// Clock synchronisation on a schedule (`LinkParameters.clockSyncPeriodMilliseconds`), on the
/// injected clock: none by default; C_CS_NA_1 with the clock's wall time right after STARTDT con
/// (before the general interrogation) and then once per period, each with the wall time of its
/// sending; its activation confirmation is a response event.
@Suite struct LinkClockSyncTests {
    /// The wall time carried by a C_CS_NA_1 I frame (type 103 at byte 6, CP56Time2a after the
    /// 6-byte APCI, the 6-byte ASDU header and the 3-byte object address).
    static func time(_ frame: [UInt8]) -> Int64? {
        guard frame.count == 22, frame[6] == 103 else { return nil }
        return try? FrameBytes.reading(frame) { b throws(IEC104Error) in try CP56Time2a.decode(b, at: 15).milliseconds }.get()
    }

    @Test func noClockSynchronisationByDefault() {
        var h = LinkHarness()
        let frames = h.start()
        #expect(frames.filter { $0.count > 6 }.map { $0[6] } == [100])
        #expect(h.link.statistics.clockSynchronisationsSent == 0)
    }

    @Test func clockIsSynchronisedAtStartAndThenEveryPeriodWithTheWallTimeOfSending() {
        var h = LinkHarness { p in p.clockSyncPeriodMilliseconds = 60_000 }
        h.clock.advance(milliseconds: 1234)
        let start = h.start().filter { $0.count > 6 }
        // Clock first (the station stamps its answer to the interrogation with the new time).
        #expect(start.map { $0[6] } == [103, 100])
        #expect(start.first.flatMap(Self.time) == h.clock.wall.milliseconds)
        #expect(start.first.map { Array($0[8...11]) } == [0x06, 0x00, 47, 0x00])   // COT activation, CA 47
        h.feed(FrameBytes.supervisory(receive: h.link.sendSequence))
        var sentAt: [Int: Int64] = [:]
        for second in 1...150 {
            h.clock.advance(milliseconds: 1000)
            h.feed(FrameBytes.unnumbered(.testActivation))   // keeps T3 quiet
            _ = h.link.poll()
            let frames = h.takeOutput().filter { $0.count > 6 }
            if let frame = frames.first(where: { $0[6] == 103 }) { sentAt[second] = Self.time(frame) }
            h.feed(FrameBytes.supervisory(receive: h.link.sendSequence))
        }
        let base = Int64(1_767_225_600_000 + 1234)
        #expect(sentAt == [60: base + 60_000, 120: base + 120_000], "\(sentAt)")
        #expect(h.link.statistics.clockSynchronisationsSent == 3)
    }

    @Test func confirmationIsAResponseAndARestartSynchronisesAgain() {
        var h = LinkHarness { p in p.clockSyncPeriodMilliseconds = 3_600_000 }
        h.start()
        // The station's negative activation confirmation (P/N set) of C_CS_NA_1 echoes the time.
        h.feedASDU(FrameBytes.hex("67 01 47 00 2f 00 00 00 00 00 00 00 00 01 01 1a"))
        #expect(h.events.contains(.response(ControlResponse(commonAddress: 47, address: 0, type: .clockSynchronisation, causeCode: 7,
                                                             negative: true, value: .none, qualifier: 0))), "\(h.events)")
        h.link.connectionClosed()
        let again = h.start().filter { $0.count > 6 }
        #expect(again.map { $0[6] } == [103, 100])
    }
}
