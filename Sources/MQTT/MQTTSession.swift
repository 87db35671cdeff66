import EdgeCore

/// The MQTT 3.1.1 client protocol as a pure state machine (in the manner of coreMQTT): no I/O,
/// time from an injected clock, randomness from an injected source. The owner of the transport
/// asks `poll()` what to do, hands over received packets (`receive`), sends `pendingOutput` and
/// reports it (`outputWritten`), and reports the transport opening and closing.
///
/// Guarantees: a QoS 1 message accepted by `publish` stays in the fixed-capacity store until the
/// broker acknowledges it, and is resent in publish order, with DUP, after every reconnect;
/// publishing and receiving allocate nothing; connection attempts never break the reconnect
/// policy's limits; a broker that stops answering is detected through keepalive.
public struct MQTTSession<Clock: EdgeClock, Random: MQTTRandomSource>: ~Copyable {
    enum State: Equatable {
        case disconnected
        case opening(since: MonotonicInstant)
        case awaitingConnack(since: MonotonicInstant)
        case connected
    }

    public let configuration: MQTTSessionConfiguration
    let clock: Clock
    var random: Random
    var state: State = .disconnected
    var store: MQTTOutgoingStore
    let output: UnsafeMutableRawBufferPointer
    var outputStart = 0
    var outputEnd = 0
    /// Store entries from the front already handed to the output on this connection.
    var sentCount = 0
    var inFlight = 0
    var nextPacketId: UInt16 = 1
    var lastSent = MonotonicInstant(nanoseconds: 0)
    var lastReceived = MonotonicInstant(nanoseconds: 0)
    var pingSentAt: MonotonicInstant? = nil
    var failures = 0
    var nextAttemptAt: MonotonicInstant
    var stopped = false
    public private(set) var history = MQTTConnectHistory()

    /// Bytes kept free in the output for acknowledgements and PINGREQ.
    static var reserve: Int { 16 }

    /// Allocates the store and the output buffer; the first `poll()` asks to connect.
    public init(configuration: MQTTSessionConfiguration, clock: Clock, random: Random) {
        precondition(configuration.inFlightWindow >= 1, "MQTTSession: inFlightWindow below 1")
        precondition(configuration.outputBufferBytes >= 64, "MQTTSession: output buffer below 64 bytes")
        self.configuration = configuration
        self.clock = clock
        self.random = random
        store = MQTTOutgoingStore(byteCapacity: configuration.outgoingStoreBytes,
                                  messageCapacity: configuration.outgoingStoreMessages)
        output = UnsafeMutableRawBufferPointer.allocate(byteCount: configuration.outputBufferBytes, alignment: 8)
        nextAttemptAt = clock.monotonicNow()
        // Configuration errors show at start-up, not at the first connection.
        let connectFits = (try? MQTTEncoder.connect(configuration.connect, into: output)) != nil
        precondition(connectFits, "MQTTSession: CONNECT options invalid or larger than the output buffer")
    }

    deinit { output.deallocate() }

    // MARK: State

    public var isConnected: Bool { state == .connected }
    /// QoS 1 messages stored and not yet acknowledged.
    public var unacknowledgedCount: Int { store.count }
    /// QoS 1 messages on the wire without acknowledgement on this connection.
    public var inFlightCount: Int { inFlight }
    /// When the next connection attempt may start (while disconnected).
    public var nextConnectAttempt: MonotonicInstant? { state == .disconnected && !stopped ? nextAttemptAt : nil }

    /// Bytes waiting for the transport.
    public var pendingOutput: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: output[outputStart..<outputEnd])
    }

    /// True when the output has room for the acknowledgement any received packet may need:
    /// read the next packet only then.
    public var canReceive: Bool { output.count - outputEnd + outputStart >= 4 }

    // MARK: Driving

    /// What to do now, and the next instant something is due.
    public mutating func poll() -> MQTTSessionAction {
        let now = clock.monotonicNow()
        switch state {
        case .disconnected:
            if stopped { return .wait(until: nil) }
            if now >= nextAttemptAt {
                history.record(now)
                state = .opening(since: now)
                return .openConnection
            }
            return .wait(until: nextAttemptAt)
        case .opening(let since):
            let deadline = since.advanced(byMilliseconds: configuration.connectTimeoutMilliseconds)
            return now >= deadline ? .closeConnection(.connectTimeout) : .wait(until: deadline)
        case .awaitingConnack(let since):
            let deadline = since.advanced(byMilliseconds: configuration.connectTimeoutMilliseconds)
            return now >= deadline ? .closeConnection(.connackTimeout) : .wait(until: deadline)
        case .connected:
            if stopped && outputStart == outputEnd { return .closeConnection(.requested) }
            let keepAlive = UInt64(configuration.connect.keepAliveSeconds) * 1000
            guard keepAlive > 0 else { return .wait(until: nil) }
            if let sentAt = pingSentAt {
                let deadline = sentAt.advanced(byMilliseconds: configuration.pingTimeoutMilliseconds)
                if now >= deadline { return .closeConnection(.pingTimeout) }
            }
            // Silent peer even though we could not send a PINGREQ (output stuck).
            let silence = lastReceived.advanced(byMilliseconds: keepAlive + keepAlive / 2 + configuration.pingTimeoutMilliseconds)
            if now >= silence { return .closeConnection(.pingTimeout) }
            let pingDue = lastSent.advanced(byMilliseconds: keepAlive)
            if pingSentAt == nil && now >= pingDue && appendControl(.pingreq) {
                pingSentAt = now
            }
            var next = silence
            if let sentAt = pingSentAt {
                next = min(next, sentAt.advanced(byMilliseconds: configuration.pingTimeoutMilliseconds))
            } else {
                next = min(next, max(pingDue, now))
            }
            return .wait(until: next)
        }
    }

    /// The transport is open: CONNECT is queued.
    public mutating func connectionOpened() {
        let now = clock.monotonicNow()
        outputStart = 0
        outputEnd = 0
        switch state {
        case .opening(let since): state = .awaitingConnack(since: since)
        default: state = .awaitingConnack(since: now)
        }
        do {
            outputEnd = try MQTTEncoder.connect(configuration.connect, into: output)
        } catch {
            // Options too large for the output buffer: a configuration error, not input.
            preconditionFailure("MQTTSession: CONNECT does not fit the output buffer")
        }
        lastReceived = now
    }

    /// The transport closed or failed to open (whatever the reason). Unacknowledged messages
    /// will be resent after the next CONNACK (or are dropped, when the configuration's
    /// `resendsAfterReconnect` is false); the next attempt is scheduled by the policy.
    public mutating func connectionClosed() {
        let now = clock.monotonicNow()
        if !configuration.resendsAfterReconnect { store.removeAll() }
        if state == .connected { failures = 0 }
        failures += 1
        state = .disconnected
        outputStart = 0
        outputEnd = 0
        sentCount = 0
        inFlight = 0
        pingSentAt = nil
        let policy = configuration.reconnect
        let delay = policy.delay(afterFailures: failures, random: &random)
        nextAttemptAt = policy.nextAttempt(now: now, delayMilliseconds: delay, history: history)
    }

    /// The transport took `count` bytes of `pendingOutput`.
    public mutating func outputWritten(_ count: Int) {
        precondition(count >= 0 && count <= outputEnd - outputStart, "MQTTSession.outputWritten beyond pending output")
        guard count > 0 else { return }
        outputStart += count
        if outputStart == outputEnd { outputStart = 0; outputEnd = 0 }
        lastSent = clock.monotonicNow()
        pump()
    }

    /// Stops reconnecting; if connected, queues DISCONNECT and `poll()` asks to close once sent.
    public mutating func disconnect() {
        stopped = true
        if state == .connected { _ = appendControl(.disconnect) }
    }

    /// Allows connecting again after `disconnect()`.
    public mutating func resume() {
        stopped = false
    }

    // MARK: Receiving

    /// Handles one packet from the broker. A thrown error means: close the connection.
    public mutating func receive(_ packet: MQTTPacket) throws(MQTTSessionError) -> MQTTSessionEvent {
        lastReceived = clock.monotonicNow()
        if case .awaitingConnack = state {
            guard case .connack(let connack) = packet else { throw .unexpectedPacket(packet.type) }
            guard connack.returnCode == .accepted else { throw .connectionRefused(connack.returnCode) }
            state = .connected
            failures = 0
            lastSent = clock.monotonicNow()
            sentCount = 0
            inFlight = 0
            pump()
            return .connected(sessionPresent: connack.sessionPresent)
        }
        guard state == .connected else { throw .unexpectedPacket(packet.type) }
        switch packet {
        case .publish(let publish):
            switch publish.qos {
            case .atMostOnce: break
            case .atLeastOnce: try acknowledge(.puback, publish.packetId)
            case .exactlyOnce: try acknowledge(.pubrec, publish.packetId)
            }
            return .message(publish)
        case .puback(let id):
            guard let (index, removed) = store.acknowledge(packetId: id) else { return .none }
            if index < sentCount { inFlight -= 1 }
            sentCount -= min(removed, sentCount)
            pump()
            return .published(packetId: id)
        case .pubrel(let id):
            try acknowledge(.pubcomp, id)
            return .none
        case .suback(let s):
            return .subscribed(packetId: s.packetId, returnCodes: s.returnCodes)
        case .unsuback(let id):
            return .unsubscribed(packetId: id)
        case .pingresp:
            pingSentAt = nil
            return .none
        case .pubrec, .pubcomp:
            // We never publish at QoS 2.
            throw .unexpectedPacket(packet.type)
        case .connect, .connack, .subscribe, .unsubscribe, .pingreq, .disconnect:
            throw .unexpectedPacket(packet.type)
        }
    }

    mutating func acknowledge(_ type: MQTTPacketType, _ id: UInt16) throws(MQTTSessionError) {
        compactOutput()
        let space = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<output.count])
        guard let n = try? MQTTEncoder.acknowledgement(type, packetId: id, into: space) else { throw .outputFull }
        outputEnd += n
    }

    // MARK: Sending

    /// Publishes a message. QoS 1 goes into the store (whatever the connection state) and is sent
    /// in order within the in-flight window; QoS 0 goes straight to the output. QoS 2 is not
    /// supported by EnOS and is refused as invalid. Allocates nothing.
    public mutating func publish<Topic: Collection<UInt8>, Payload: Collection<UInt8>>(
        topic: Topic, payload: Payload, qos: MQTTQoS, retain: Bool = false
    ) throws(MQTTSessionError) -> MQTTPublishResult {
        guard let length = MQTTEncoder.publishLength(topicLength: topic.count, payloadLength: payload.count, qos: qos),
              length <= configuration.maximumPacketSize else {
            throw .encode(.packetTooLarge)
        }
        switch qos {
        case .atMostOnce:
            guard state == .connected else { return .notConnected }
            compactOutput()
            guard output.count - outputEnd >= length + Self.reserve else { return .wouldBlock }
            let space = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<output.count])
            do {
                outputEnd += try MQTTEncoder.publish(topic: topic, payload: payload, qos: .atMostOnce, retain: retain, into: space)
            } catch {
                throw .encode(error)
            }
            return .sent
        case .atLeastOnce:
            guard let space = store.reserve(length) else { return .wouldBlock }
            let id = allocatePacketId()
            do {
                _ = try MQTTEncoder.publish(topic: topic, payload: payload, qos: .atLeastOnce, packetId: id, retain: retain, into: space)
            } catch {
                throw .encode(error)
            }
            store.commit(length: length, packetId: id)
            pump()
            return .stored(packetId: id)
        case .exactlyOnce:
            throw .encode(.invalid(.invalidQoS))
        }
    }

    /// Queues SUBSCRIBE; the answer comes as `.subscribed` with the returned packet id.
    public mutating func subscribe<S: Collection<MQTTSubscription>>(_ subscriptions: S) throws(MQTTSessionError) -> UInt16 {
        guard state == .connected else { throw .notConnected }
        let id = allocatePacketId()
        compactOutput()
        let space = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<(output.count - Self.reserve)])
        do {
            outputEnd += try MQTTEncoder.subscribe(packetId: id, subscriptions, into: space)
        } catch {
            if case .bufferTooSmall = error { throw .wouldBlock }
            throw .encode(error)
        }
        return id
    }

    /// Queues UNSUBSCRIBE; the answer comes as `.unsubscribed` with the returned packet id.
    public mutating func unsubscribe<S: Collection<String>>(_ filters: S) throws(MQTTSessionError) -> UInt16 {
        guard state == .connected else { throw .notConnected }
        let id = allocatePacketId()
        compactOutput()
        let space = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<(output.count - Self.reserve)])
        do {
            outputEnd += try MQTTEncoder.unsubscribe(packetId: id, filters, into: space)
        } catch {
            if case .bufferTooSmall = error { throw .wouldBlock }
            throw .encode(error)
        }
        return id
    }

    mutating func allocatePacketId() -> UInt16 {
        // Ids are handed out in sequence and the store holds fewer than 65535 messages, so an id
        // still in the store is at most a store's length behind; skip any such id anyway.
        while true {
            let id = nextPacketId
            nextPacketId = nextPacketId == UInt16.max ? 1 : nextPacketId + 1
            if !store.contains(packetId: id) { return id }
        }
    }

    /// Moves stored messages to the output, in order, while the window and the output allow.
    mutating func pump() {
        guard state == .connected else { return }
        while sentCount < store.count && inFlight < configuration.inFlightWindow {
            if store.isAcknowledged(at: sentCount) { sentCount += 1; continue }
            let (_, bytes) = store.packet(at: sentCount)
            compactOutput()
            guard output.count - outputEnd >= bytes.count + Self.reserve else { return }
            if store.markSent(at: sentCount) { bytes[0] |= 0x08 }   // DUP on a resend
            (output.baseAddress! + outputEnd).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            outputEnd += bytes.count
            sentCount += 1
            inFlight += 1
        }
    }

    mutating func appendControl(_ type: MQTTPacketType) -> Bool {
        compactOutput()
        let space = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<output.count])
        guard let n = try? MQTTEncoder.headerOnly(type, into: space) else { return false }
        outputEnd += n
        return true
    }

    mutating func compactOutput() {
        guard outputStart > 0 else { return }
        let count = outputEnd - outputStart
        if count > 0 { output.baseAddress!.copyMemory(from: output.baseAddress! + outputStart, byteCount: count) }
        outputStart = 0
        outputEnd = count
    }
}
