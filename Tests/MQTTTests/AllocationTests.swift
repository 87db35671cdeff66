import EdgeCore
import MQTT
import Testing
import TestSupport

/// The steady state allocates nothing: a QoS 1 publish (encode into the store, copy to the
/// output, PUBACK) and a decoded inbound PUBLISH (frame reader + session + PUBACK).
@Suite struct AllocationTests {
    @Test func qos1PublishAllocatesNothing() throws {
        #expect(AllocationCounter.isActive)
        let clock = ManualClock()
        var session = SessionHarness.make(clock, window: 32, storeMessages: 64, storeBytes: 32 * 1024)
        try SessionHarness.connect(&session)
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 200, alignment: 8)
        defer { payload.deallocate() }
        payload.initializeMemory(as: UInt8.self, repeating: 0x41)
        let topic = "/sys/pk/dk/thing/measurepoint/post"
        let ack = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 8)
        defer { ack.deallocate() }
        var failures = 0
        func round(_ session: inout TestSession) {
            guard case .stored(let id) = (try? session.publish(topic: topic.utf8, payload: UnsafeRawBufferPointer(payload), qos: .atLeastOnce)) ?? .wouldBlock else { failures += 1; return }
            session.outputWritten(session.pendingOutput.count)
            _ = try? MQTTEncoder.acknowledgement(.puback, packetId: id, into: ack)
            guard let packet = try? MQTTDecoder.decode(UnsafeRawBufferPointer(ack)) else { failures += 1; return }
            if case .published? = try? session.receive(packet) {} else { failures += 1 }
        }
        round(&session)
        let counted = AllocationCounter.count {
            for _ in 0..<1000 { round(&session) }
        }
        #expect(failures == 0)
        #expect(counted.allocations == 0, "\(counted)")
        // Without acknowledgements, publishing into the store alone allocates nothing either.
        let storing = AllocationCounter.count {
            for _ in 0..<20 { _ = try? session.publish(topic: topic.utf8, payload: UnsafeRawBufferPointer(payload), qos: .atLeastOnce) }
        }
        #expect(storing.allocations == 0, "\(storing)")
        #expect(session.unacknowledgedCount == 20)
    }

    @Test func inboundPublishDecodeAllocatesNothing() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        try SessionHarness.connect(&session)
        var reader = MQTTFrameReader(maximumPacketSize: 1024)
        let packet = try PacketBytes.encode { b throws(MQTTEncodeError) in
            try MQTTEncoder.publish(topic: "/sys/pk/dk/thing/service/x".utf8, payload: [UInt8](repeating: 0x7B, count: 200),
                                    qos: .atLeastOnce, packetId: 5, into: b)
        }
        let wire = UnsafeMutableRawBufferPointer.allocate(byteCount: packet.count, alignment: 8)
        defer { wire.deallocate() }
        wire.copyBytes(from: packet)
        var received = 0
        func round(_ session: inout TestSession, _ reader: inout MQTTFrameReader) {
            _ = reader.append(UnsafeRawBufferPointer(wire))
            while let p = try? reader.next() {
                if case .message(let m)? = try? session.receive(p), m.payload.count == 200 { received += 1 }
            }
            session.outputWritten(session.pendingOutput.count)
        }
        round(&session, &reader)
        let counted = AllocationCounter.count {
            for _ in 0..<1000 { round(&session, &reader) }
        }
        #expect(received == 1001)
        #expect(counted.allocations == 0, "\(counted)")
    }
}
