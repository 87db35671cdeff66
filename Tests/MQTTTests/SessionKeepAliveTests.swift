import EdgeCore
import MQTT
import Testing

/// Keepalive: PINGREQ after a keepalive period without sending; a peer that stops answering is
/// declared dead; a broker that never sends CONNACK is given up on.
@Suite struct SessionKeepAliveTests {
    @Test func pingreqIsSentAfterAKeepalivePeriodOfSilence() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, keepAlive: 60)
        try SessionHarness.connect(&session)
        #expect(session.poll() == .wait(until: clock.monotonicNow().advanced(byMilliseconds: 60_000)))
        clock.advance(milliseconds: 59_999)
        _ = session.poll()
        #expect(SessionHarness.drain(&session) == [])
        clock.advance(milliseconds: 1)
        _ = session.poll()
        #expect(SessionHarness.drain(&session) == ["PINGREQ"])
        clock.advance(milliseconds: 500)
        #expect(try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in try MQTTEncoder.headerOnly(.pingresp, into: b) } == "none")
        // Sending resets the keepalive timer.
        clock.advance(milliseconds: 30_000)
        _ = try SessionHarness.publish(&session, "a", qos: .atMostOnce)
        _ = SessionHarness.drain(&session)
        clock.advance(milliseconds: 59_000)
        _ = session.poll()
        #expect(SessionHarness.drain(&session) == [])
        clock.advance(milliseconds: 1_000)
        _ = session.poll()
        #expect(SessionHarness.drain(&session) == ["PINGREQ"])
    }

    @Test func peerThatStopsAnsweringPingIsDeclaredDead() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock, keepAlive: 30)
        try SessionHarness.connect(&session)
        clock.advance(milliseconds: 30_000)
        _ = session.poll()
        #expect(SessionHarness.drain(&session) == ["PINGREQ"])
        clock.advance(milliseconds: 9_999)
        #expect(session.poll() == .wait(until: clock.monotonicNow().advanced(byMilliseconds: 1)))
        clock.advance(milliseconds: 1)
        #expect(session.poll() == .closeConnection(.pingTimeout))
        session.connectionClosed()
        let connected = session.isConnected
        #expect(!connected)
    }

    @Test func brokerThatNeverSendsConnackIsGivenUp() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        #expect(session.poll() == .openConnection)
        session.connectionOpened()
        #expect(SessionHarness.drain(&session) == ["CONNECT"])
        clock.advance(milliseconds: 29_999)
        if case .closeConnection = session.poll() { Issue.record("closed early") }
        clock.advance(milliseconds: 1)
        #expect(session.poll() == .closeConnection(.connackTimeout))
    }

    @Test func transportThatNeverComesUpIsGivenUp() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        #expect(session.poll() == .openConnection)
        clock.advance(milliseconds: 30_000)
        #expect(session.poll() == .closeConnection(.connectTimeout))
    }

    @Test func publishBeforeConnackIsAProtocolError() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        _ = session.poll()
        session.connectionOpened()
        #expect(throws: MQTTSessionError.unexpectedPacket(.publish)) {
            try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in
                try MQTTEncoder.publish(topic: "t".utf8, payload: [UInt8](), qos: .atMostOnce, into: b)
            }
        }
    }

    @Test func refusedConnackIsReported() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        _ = session.poll()
        session.connectionOpened()
        #expect(throws: MQTTSessionError.connectionRefused(.badUsernameOrPassword)) {
            try SessionHarness.deliver(&session) { b throws(MQTTEncodeError) in
                try MQTTEncoder.connack(MQTTConnack(sessionPresent: false, returnCode: .badUsernameOrPassword), into: b)
            }
        }
    }

    @Test func disconnectSendsDisconnectThenAsksToCloseAndStaysDown() throws {
        let clock = ManualClock()
        var session = SessionHarness.make(clock)
        try SessionHarness.connect(&session)
        session.disconnect()
        #expect(SessionHarness.drain(&session) == ["DISCONNECT"])
        #expect(session.poll() == .closeConnection(.requested))
        session.connectionClosed()
        clock.advance(milliseconds: 600_000)
        #expect(session.poll() == .wait(until: nil))
        session.resume()
        #expect(session.poll() == .openConnection)
    }
}
