import CShim
import EdgeCore

/// Ties an `MQTTSession`, a transport and a frame reader into something an event loop drives:
/// either `step(timeoutMilliseconds:)` (polls the one socket itself), or `pollRequest()` +
/// `handle(revents:)` when the agent's loop polls many descriptors. Connects, reconnects,
/// reads, decodes, hands packets to the session and writes its output; never blocks except in
/// `step`'s poll and in name resolution at connect time. Steady-state steps allocate nothing.
public struct MQTTClient<Transport: ByteStream & ~Copyable, Clock: EdgeClock, Random: MQTTRandomSource>: ~Copyable {
    public var session: MQTTSession<Clock, Random>
    public var transport: Transport
    var reader: MQTTFrameReader
    public let host: String
    public let port: UInt16
    let clock: Clock
    /// Why the last connection ended (for logs).
    public private(set) var lastError: MQTTClientError? = nil
    /// Connections established so far (transport up; CONNACK not implied).
    public private(set) var connectionCount = 0

    public init(host: String, port: UInt16, configuration: MQTTSessionConfiguration,
                transport: consuming Transport, clock: Clock, random: Random) {
        self.host = host
        self.port = port
        self.clock = clock
        self.transport = transport
        session = MQTTSession(configuration: configuration, clock: clock, random: random)
        reader = MQTTFrameReader(maximumPacketSize: configuration.maximumPacketSize)
    }

    /// Runs the session's timers (connect, keepalive, dead peer), then waits up to
    /// `timeoutMilliseconds` (less if a timer is due sooner) for the socket and handles it.
    public mutating func step(timeoutMilliseconds: Int, onEvent: (MQTTClientEvent) -> Void) {
        let request = pollRequest(onEvent: onEvent)
        let wait = request.timeoutMilliseconds < 0 ? timeoutMilliseconds : min(timeoutMilliseconds, request.timeoutMilliseconds)
        let buffered = transport.hasBufferedInput
        var revents: Int16 = 0
        do throws(Errno) {
            revents = try SystemCall.poll(request.descriptor, events: request.events, timeoutMilliseconds: Int32(clamping: buffered ? 0 : wait))
        } catch {
            revents = 0   // a failed poll(2) (EINVAL, ENOMEM) handles nothing this step, as a timeout would
        }
        if buffered { revents |= Int16(POLLIN) }
        if revents != 0 { handle(revents: revents, onEvent: onEvent) }
    }

    /// Runs the session's timers and says what to poll: the descriptor (-1: none), its events,
    /// and the milliseconds until the next timer (-1: none).
    public mutating func pollRequest(onEvent: (MQTTClientEvent) -> Void) -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) {
        var rounds = 0
        while rounds < 4 {
            rounds += 1
            switch session.poll() {
            case .openConnection:
                reader.reset()
                do {
                    try transport.open(host: host, port: port)
                } catch {
                    fail(.transport(error), onEvent)
                }
                continue
            case .closeConnection(let reason):
                if reason == .requested {
                    transport.close()
                    reader.reset()
                    session.connectionClosed()
                } else {
                    fail(.closed(reason), onEvent)
                }
                continue
            case .wait(let until):
                var timeout = -1
                if let until {
                    let ns = until.nanoseconds(since: clock.monotonicNow())
                    timeout = Int(clamping: (ns + 999_999) / 1_000_000)
                }
                let events = transport.pollEvents(wantWrite: !session.pendingOutput.isEmpty)
                // Decrypted bytes waiting inside the transport: come back at once.
                if transport.hasBufferedInput { timeout = 0 }
                return (transport.descriptor, events, timeout)
            }
        }
        return (transport.descriptor, transport.pollEvents(wantWrite: !session.pendingOutput.isEmpty), 0)
    }

    /// Handles what poll(2) reported for `pollRequest().descriptor` (pass POLLIN as well when
    /// `transport.hasBufferedInput`).
    public mutating func handle(revents: Int16, onEvent: (MQTTClientEvent) -> Void) {
        guard transport.descriptor >= 0 else { return }
        if !transport.isEstablished {
            do {
                if try transport.advance(revents: revents) {
                    connectionCount += 1
                    session.connectionOpened()
                    flush(onEvent)
                }
            } catch {
                fail(.transport(error), onEvent)
            }
            return
        }
        if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            var reads = 0
            while reads < 16 && transport.descriptor >= 0 {
                reads += 1
                let space = reader.writableSpace()
                if space.count == 0 { break }
                let n: Int
                do { n = try transport.receive(into: space) } catch {
                    fail(.transport(error), onEvent)
                    return
                }
                if n == 0 { break }
                reader.commit(n)
                if !processPackets(onEvent) { return }
            }
        }
        flush(onEvent)
        _ = processPackets(onEvent)
        flush(onEvent)
    }

    /// Writes as much pending output as the socket takes now (e.g. right after publishing).
    public mutating func flush(_ onEvent: (MQTTClientEvent) -> Void) {
        guard transport.descriptor >= 0, transport.isEstablished else { return }
        while !session.pendingOutput.isEmpty {
            let n: Int
            do { n = try transport.send(session.pendingOutput) } catch {
                fail(.transport(error), onEvent)
                return
            }
            if n == 0 { return }
            session.outputWritten(n)
        }
    }

    /// Decodes buffered packets while the session has room for their acknowledgements.
    /// False if the connection was closed.
    mutating func processPackets(_ onEvent: (MQTTClientEvent) -> Void) -> Bool {
        while true {
            if !session.canReceive {
                flush(onEvent)
                if transport.descriptor < 0 { return false }
                if !session.canReceive { return true }
            }
            let packet: MQTTPacket?
            do { packet = try reader.next() } catch {
                fail(.malformedInput(error), onEvent)
                return false
            }
            guard let packet else { return true }
            let event: MQTTSessionEvent
            do { event = try session.receive(packet) } catch {
                fail(.session(error), onEvent)
                return false
            }
            if case .none = event { continue }
            onEvent(.session(event))
        }
    }

    mutating func fail(_ error: MQTTClientError, _ onEvent: (MQTTClientEvent) -> Void) {
        lastError = error
        transport.close()
        reader.reset()
        session.connectionClosed()
        onEvent(.connectionLost(error))
    }
}
