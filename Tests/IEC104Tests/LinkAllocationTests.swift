import EdgeCore
import IEC104
import Testing
import TestSupport

/// The steady state allocates nothing: I frames of data points decoded into events and
/// acknowledged (w and T2), commands sent and confirmed, TESTFR on idle, and the timers polled.
@Suite struct LinkAllocationTests {
    @Test func dataCommandsAndTimersAllocateNothing() throws {
        #expect(AllocationCounter.isActive)
        var h = LinkHarness()
        h.start()
        h.feed(FrameBytes.supervisory(receive: 1))
        // One I frame of two float points with time, one confirmation; N(S) patched per round.
        let points = FrameBytes.information(send: 0, receive: 0, asdu: FrameBytes.hex(
            "24 02 03 00 2f 00 05 00 00 00 00 c0 bf 00 00 00 00 00 81 01 1a 06 00 00 00 00 48 41 00 00 00 00 00 81 01 1a"))
        let confirmation = FrameBytes.information(send: 0, receive: 0, asdu: FrameBytes.hex("2d 01 07 00 2f 00 0c 00 00 01"))
        let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { frame.deallocate() }
        var outstationSend: UInt16 = 0
        var data = 0, responses = 0, failures = 0

        func deliver(_ bytes: [UInt8], _ link: inout IEC104Link<ManualClock>) {
            bytes.withUnsafeBytes { frame.copyMemory(from: $0) }
            frame[2] = UInt8(truncatingIfNeeded: outstationSend << 1)
            frame[3] = UInt8(truncatingIfNeeded: outstationSend >> 7)
            frame[4] = UInt8(truncatingIfNeeded: link.sendSequence << 1)
            frame[5] = UInt8(truncatingIfNeeded: link.sendSequence >> 7)
            outstationSend = SequenceNumber.next(outstationSend)
            do throws(IEC104Error) {
                try link.receive(UnsafeRawBufferPointer(rebasing: frame[0..<bytes.count])) { event in
                    switch event {
                    case .data: data += 1
                    case .response: responses += 1
                    default: break
                    }
                }
            } catch { failures += 1 }
        }

        func round(_ link: inout IEC104Link<ManualClock>, _ clock: ManualClock) {
            for _ in 0..<10 { deliver(points, &link) }
            if (try? link.send(.single(true), commonAddress: 47, address: 12)) == nil { failures += 1 }
            deliver(confirmation, &link)
            clock.advance(milliseconds: 10_000)          // T2: S frame
            if case .close = link.poll() { failures += 1 }
            clock.advance(milliseconds: 20_000)          // T3: TESTFR act
            if case .close = link.poll() { failures += 1 }
            link.outputWritten(link.pendingOutput.count)
        }

        round(&h.link, h.clock)
        let testConfirmation = UnsafeMutableRawBufferPointer.allocate(byteCount: 6, alignment: 8)
        defer { testConfirmation.deallocate() }
        testConfirmation.copyBytes(from: FrameBytes.unnumbered(.testConfirmation))
        try? h.link.receive(UnsafeRawBufferPointer(testConfirmation)) { _ in }
        let counted = AllocationCounter.count {
            for _ in 0..<200 {
                round(&h.link, h.clock)
                do throws(IEC104Error) { try h.link.receive(UnsafeRawBufferPointer(testConfirmation)) { _ in } } catch { failures += 1 }
            }
        }
        #expect(failures == 0)
        #expect(data == 201 * 20)
        #expect(responses == 201)
        #expect(h.link.state == .started)
        #expect(h.link.statistics.testFramesSent == 201)
        #expect(counted.allocations == 0, "\(counted)")
    }
}
