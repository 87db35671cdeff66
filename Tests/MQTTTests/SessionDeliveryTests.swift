import EdgeCore
import MQTT
import Testing

/// QoS 1 delivery: the in-flight window, acknowledgements, resend in order with DUP after a
/// reconnect, backpressure from the fixed store, inbound acknowledgements.
@Suite struct SessionDeliveryTests {
    @Test func windowLimitsInFlightAndAcksReleaseTheNext() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, window: 3)
        try SessionHarness.connect(&session)
        for i in 1...5 { #expect(try SessionHarness.publish(&session, "m\(i)") == .stored(packetId: UInt16(i))) }
        #expect(SessionHarness.drain(&session) == ["PUBLISH m1 1", "PUBLISH m2 2", "PUBLISH m3 3"])
        #expect(session.inFlightCount == 3)
        #expect(try SessionHarness.puback(&session, 1) == "published 1")
        #expect(SessionHarness.drain(&session) == ["PUBLISH m4 4"])
        #expect(try SessionHarness.puback(&session, 99) == "none")
        #expect(session.unacknowledgedCount == 4)
    }

    @Test func unacknowledgedMessagesAreResentInOrderWithDupAfterReconnect() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, window: 3)
        try SessionHarness.connect(&session)
        for i in 1...6 { _ = try SessionHarness.publish(&session, "m\(i)") }
        #expect(SessionHarness.drain(&session) == ["PUBLISH m1 1", "PUBLISH m2 2", "PUBLISH m3 3"])
        _ = try SessionHarness.puback(&session, 2)          // out of order: 1 still pending
        #expect(SessionHarness.drain(&session) == ["PUBLISH m4 4"])
        session.connectionClosed()
        // Published while down: stored, sent after the others.
        _ = try SessionHarness.publish(&session, "m7")
        #expect(session.pendingOutput.isEmpty)
        clock.advance(milliseconds: 5_000)
        #expect(session.poll() == .openConnection)
        session.connectionOpened()
        #expect(SessionHarness.drain(&session) == ["CONNECT"])
        #expect(try SessionHarness.connack(&session, present: true) == "connected true")
        #expect(SessionHarness.drain(&session) == ["PUBLISH m1 1 dup", "PUBLISH m3 3 dup", "PUBLISH m4 4 dup"])
        for id in [1, 3, 4] as [UInt16] { _ = try SessionHarness.puback(&session, id) }
        #expect(SessionHarness.drain(&session) == ["PUBLISH m5 5", "PUBLISH m6 6", "PUBLISH m7 7"])
        for id in [5, 6, 7] as [UInt16] { _ = try SessionHarness.puback(&session, id) }
        #expect(session.unacknowledgedCount == 0)
    }

    /// For a caller that resends from its own log (the EnOS gateway): what was unacknowledged
    /// when the connection closed is dropped, not resent ahead of the caller's replay; what is
    /// published after the close goes out after the reconnect; packet ids go on.
    @Test func withoutResendUnacknowledgedMessagesAreDroppedWhenTheConnectionCloses() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, window: 3, resendsAfterReconnect: false)
        try SessionHarness.connect(&session)
        for i in 1...5 { _ = try SessionHarness.publish(&session, "m\(i)") }
        #expect(SessionHarness.drain(&session) == ["PUBLISH m1 1", "PUBLISH m2 2", "PUBLISH m3 3"])
        _ = try SessionHarness.puback(&session, 2)
        session.connectionClosed()
        #expect(session.unacknowledgedCount == 0)
        _ = try SessionHarness.publish(&session, "m6")
        clock.advance(milliseconds: 5_000)
        #expect(session.poll() == .openConnection)
        session.connectionOpened()
        #expect(SessionHarness.drain(&session) == ["CONNECT"])
        #expect(try SessionHarness.connack(&session, present: false) == "connected false")
        #expect(SessionHarness.drain(&session) == ["PUBLISH m6 6"])
        _ = try SessionHarness.puback(&session, 6)
        #expect(session.unacknowledgedCount == 0)
    }

    @Test func fullStoreGivesBackpressureNotAllocation() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, window: 2, storeMessages: 4)
        for i in 1...4 { #expect(try SessionHarness.publish(&session, "m\(i)") == .stored(packetId: UInt16(i))) }
        #expect(try SessionHarness.publish(&session, "m5") == .wouldBlock)
        try SessionHarness.connect(&session)
        _ = SessionHarness.drain(&session)
        _ = try SessionHarness.puback(&session, 1)
        #expect(try SessionHarness.publish(&session, "m5") == .stored(packetId: 5))
    }

    @Test func fullStoreBytesGiveBackpressure() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, storeMessages: 100, storeBytes: 300)
        var stored = 0
        while case .stored = try session.publish(topic: "t".utf8, payload: [UInt8](repeating: 1, count: 90), qos: .atLeastOnce) { stored += 1 }
        #expect(stored == 3)   // 97-byte packets, 300 bytes
        try SessionHarness.connect(&session)
        _ = SessionHarness.drain(&session)
        for id in 1...3 as ClosedRange<UInt16> { _ = try SessionHarness.puback(&session, id) }
        // The ring wraps and keeps taking messages in order.
        for round in 0..<20 {
            #expect(try session.publish(topic: "t".utf8, payload: [UInt8](repeating: UInt8(round), count: 90), qos: .atLeastOnce) == .stored(packetId: UInt16(4 + round)))
            #expect(SessionHarness.drain(&session) == ["PUBLISH t \(4 + round)"])
            _ = try SessionHarness.puback(&session, UInt16(4 + round))
        }
    }

    @Test func qos0WhileDisconnectedIsNotConnected() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        #expect(try SessionHarness.publish(&session, "a", qos: .atMostOnce) == .notConnected)
        #expect(throws: MQTTSessionError.encode(.invalid(.wildcardInTopicName))) { try SessionHarness.publish(&session, "a/#") }
    }

    @Test func inboundQoS1IsAcknowledgedAndQoS2IsReceivedAndCompleted() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        try SessionHarness.connect(&session)
        #expect(try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in
            try MQTTEncoder.publish(topic: "cmd".utf8, payload: "hi".utf8, qos: .atLeastOnce, packetId: 77, into: b)
        } == "message cmd hi")
        #expect(SessionHarness.drain(&session) == ["PUBACK 77"])
        _ = try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in
            try MQTTEncoder.publish(topic: "cmd".utf8, payload: "2".utf8, qos: .exactlyOnce, packetId: 78, into: b)
        }
        _ = try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in try MQTTEncoder.acknowledgement(.pubrel, packetId: 78, into: b) }
        #expect(SessionHarness.drain(&session) == ["PUBREC 78", "PUBCOMP 78"])
    }

    @Test func subscribeAndUnsubscribeRoundTrip() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        #expect(throws: MQTTSessionError.notConnected) { try session.subscribe([MQTTSubscription("a/#")]) }
        try SessionHarness.connect(&session)
        let id = try session.subscribe([MQTTSubscription("a/#"), MQTTSubscription("b", qos: .atMostOnce)])
        #expect(SessionHarness.drain(&session) == ["SUBSCRIBE \(id)"])
        #expect(try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in try MQTTEncoder.suback(packetId: id, returnCodes: [1, 0], into: b) } == "subscribed \(id) [1, 0]")
        let uid = try session.unsubscribe(["a/#"])
        #expect(SessionHarness.drain(&session) == ["UNSUBSCRIBE \(uid)"])
        #expect(try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in try MQTTEncoder.acknowledgement(.unsuback, packetId: uid, into: b) } == "unsubscribed \(uid)")
    }
}
