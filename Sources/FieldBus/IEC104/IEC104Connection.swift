import CShim
import EdgeCore
import IEC104
import TLS

/// Takes what an `IEC104Connection` reads: every event of the link, with the wall time it came,
/// and whether there is room for another ASDU's worth of values (reading stops while there is
/// not). A class protocol so that the link's event callback can fill it while the connection is
/// being mutated; used as a generic parameter, never as an existential.
public protocol IEC104EventReceiver: AnyObject {
    var hasRoom: Bool { get }
    func handle(_ event: LinkEvent, now: WallTime)
}

/// One IEC 104 link on one TCP connection, or on TLS over it (IEC 62351-3, through the same
/// `TLSStream` as the cloud link): the socket driver shared by `IEC104Master` (the
/// field bus) and the `edge-agent iec104` probe, so that both connect, start and run the link
/// alike. It connects (TCP, then the TLS handshake) within T0 and sends STARTDT (`start`), runs the pure `IEC104Link`
/// (`service`: write what the link has to send, wait for input or its next timer, feed what
/// arrived), and closes on the link's or the socket's failure, keeping why in `lastFailure`. Its
/// buffers are allocated in `init`; running it allocates nothing.
public struct IEC104Connection: ~Copyable {
    public let host: String
    public let port: UInt16
    public private(set) var parameters: LinkParameters
    var stream: NetworkStream
    /// Why the TLS client could not be set up (its files changed since the configuration was
    /// checked): every start fails with it.
    let tlsSetupFailure: Int32?
    let usesTLS: Bool
    public internal(set) var link: IEC104Link<SystemClock>
    let buffer: UnsafeMutableRawBufferPointer
    /// Why the link last went down (nil until it does, or once `clearFailure` is called).
    public internal(set) var lastFailure: IEC104LinkFailure? = nil
    /// STARTDT confirmations since `init`: the link's starts, restarts included.
    public private(set) var starts: UInt64 = 0
    /// Times a started link went down other than by `stop` (a timeout, a protocol error, the
    /// socket, the outstation closing).
    public private(set) var losses: UInt64 = 0
    var wasStarted = false

    /// `tls`: the link runs over TLS with this configuration; nil: plain TCP.
    public init(host: String, port: UInt16, parameters: LinkParameters, tls: TLSConfiguration? = nil) {
        self.host = host
        self.port = port
        self.parameters = parameters
        var setupFailure: Int32? = nil
        if let tls {
            do throws(ByteStreamError) {
                stream = .tls(try TLSStream(tls))
            } catch {
                stream = .tcp(TCPStream())
                setupFailure = error.code
            }
        } else {
            stream = .tcp(TCPStream())
        }
        tlsSetupFailure = setupFailure
        usesTLS = tls != nil
        link = IEC104Link(parameters: parameters, clock: SystemClock())
        buffer = .allocate(byteCount: 2048, alignment: 8)
    }

    deinit {
        buffer.deallocate()   // the stream closes its socket itself
    }

    /// Start-up: new parameters (the station to interrogate), with a new link.
    public mutating func reset(parameters: LinkParameters) {
        drop(nil)
        self.parameters = parameters
        link = IEC104Link(parameters: parameters, clock: SystemClock())
    }

    public mutating func clearFailure() { lastFailure = nil }

    /// True once STARTDT con came, until the link stops or closes.
    public var isStarted: Bool { link.state == .started }

    /// Connects (TCP and, over TLS, the handshake: both within T0, IEC 104's connection
    /// establishment timeout) and sends STARTDT when the link is not started; returns once STARTDT
    /// con came (within T1). Throws `.system(errno)` when the connection fails (ECONNREFUSED for
    /// a refused one; EPROTO for a failed handshake) and `.timeout` for T0 or T1, the reason kept
    /// in `lastFailure`.
    public mutating func start<Receiver: IEC104EventReceiver>(into receiver: Receiver) throws(ModbusError) {
        if isStarted { return }
        drop(nil)
        if let code = tlsSetupFailure {
            drop(.tlsSetup(code: code))
            throw .system(EPROTO)
        }
        link.connecting()
        var timedOut = false
        do throws(ByteStreamError) {
            try stream.open(host: host, port: port)
            let deadline = edge_monotonic_ns() &+ parameters.t0Milliseconds * 1_000_000
            var established = false
            while !established && !timedOut {
                let now = edge_monotonic_ns()
                if now >= deadline { timedOut = true; break }
                var revents: Int16 = 0
                _ = edge_poll_one(stream.descriptor, stream.pollEvents(wantWrite: true),
                                  Int32(min((deadline - now) / 1_000_000 + 1, 1000)), &revents)
                established = try stream.advance(revents: revents)
            }
        } catch {
            if error.kind == .tls {
                drop(.tlsHandshake(code: error.code, verifyFlags: error.detail))
                throw .system(EPROTO)
            }
            drop(.connect(error.kind, code: error.code))
            throw .system(error.code != 0 ? error.code : ECONNREFUSED)
        }
        if timedOut {
            drop(stream.isConnected ? .tlsHandshakeTimeout : .connectTimeout)
            throw .timeout
        }
        link.connectionOpened()
        try service(untilMilliseconds: parameters.t1Milliseconds + 1, stopWhenStarted: true, into: receiver)
        guard isStarted else {
            drop(.acknowledgementTimeout)
            throw .timeout
        }
        starts &+= 1
        wasStarted = true
    }

    /// Runs the link for up to `milliseconds`: writes what it has to send, waits for input or
    /// its next timer, feeds what arrived to `receiver`. Returns early once STARTDT con came
    /// (`stopWhenStarted`) or once input was taken and no more waits (`returnOnData`); throws
    /// when the link closed (the reason kept in `lastFailure`).
    public mutating func service<Receiver: IEC104EventReceiver>(untilMilliseconds milliseconds: UInt64, stopWhenStarted: Bool,
                                                                returnOnData: Bool = true, into receiver: Receiver) throws(ModbusError) {
        let deadline = edge_monotonic_ns() &+ milliseconds * 1_000_000
        while true {
            let action = link.poll()
            if case .close(let reason) = action {
                drop(IEC104LinkFailure(reason))
                throw reason == .connectTimeout || reason == .acknowledgementTimeout ? .timeout : .invalidResponse(0)
            }
            try flush()
            if stopWhenStarted && isStarted { return }
            let now = edge_monotonic_ns()
            guard now < deadline else { return }
            var wait = deadline - now
            if case .wait(let until?) = action, until.nanoseconds > now { wait = min(wait, until.nanoseconds - now) }
            var revents: Int16 = 0
            let events = stream.pollEvents(wantWrite: link.pendingOutput.count > 0)
            // TLS may hold decrypted input the socket no longer shows: read it without waiting.
            let timeout = stream.hasBufferedInput && receiver.hasRoom ? 0 : Int32(min(wait / 1_000_000 + 1, 60_000))
            _ = edge_poll_one(stream.descriptor, events, timeout, &revents)
            var received = false
            // Read while input waits and the receiver has room for a full ASDU of values.
            while receiver.hasRoom {
                let n: Int
                do throws(ByteStreamError) {
                    n = try stream.receive(into: buffer)
                } catch {
                    let refusedPlain = !usesTLS && link.state == .starting && (error.kind == .closedByPeer || error.code == ECONNRESET)
                    drop(refusedPlain ? .closedBeforeStart : .receive(error.kind, code: error.code))
                    throw error.code != 0 ? .system(error.code) : .system(ECONNRESET)
                }
                guard n > 0 else { break }
                received = true
                let wall = WallTime(milliseconds: edge_realtime_ns() / 1_000_000)
                do throws(IEC104Error) {
                    try link.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { event in receiver.handle(event, now: wall) }
                } catch {
                    drop(.protocolError(error))
                    throw .invalidResponse(0)
                }
            }
            if received && returnOnData && !stopWhenStarted {
                // Acknowledge and answer at once what the input asked for (S frame after w, TESTFR con).
                _ = link.poll()
                try flush()
                return
            }
        }
    }

    /// Writes what the link has to send, as far as the socket takes it.
    mutating func flush() throws(ModbusError) {
        do throws(ByteStreamError) {
            while link.pendingOutput.count > 0 {
                let n = try stream.send(link.pendingOutput)
                if n == 0 { break }
                link.outputWritten(n)
            }
        } catch {
            drop(.send(error.kind, code: error.code))
            throw .system(error.code != 0 ? error.code : EIO)
        }
    }

    /// Asks the link for a general interrogation of the station (sent at the next `service`).
    public mutating func requestInterrogation() { link.requestInterrogation() }

    /// Asks the link for a counter interrogation of the station (sent at the next `service`).
    public mutating func requestCounterInterrogation() { link.requestCounterInterrogation() }

    /// Sends a command or request (see `IEC104Link.send`); its answer comes through `service`.
    public mutating func send(_ request: ControlRequest, commonAddress: UInt16, address: UInt32) throws(IEC104Error) {
        try link.send(request, commonAddress: commonAddress, address: address)
    }

    /// Sends STOPDT, waits up to T1 for its confirmation, and closes the connection. Whatever
    /// else arrives meanwhile goes to `receiver`; a failure while stopping only closes.
    public mutating func stop<Receiver: IEC104EventReceiver>(into receiver: Receiver) {
        if isStarted {
            link.stop()
            let deadline = edge_monotonic_ns() &+ parameters.t1Milliseconds * 1_000_000
            while link.state == .stopping && edge_monotonic_ns() < deadline {
                do throws(ModbusError) {
                    try service(untilMilliseconds: 50, stopWhenStarted: false, into: receiver)
                } catch {
                    break
                }
            }
        }
        drop(nil)
    }

    /// Closes the socket and resets the link; `failure` (when given) is kept in `lastFailure`.
    public mutating func drop(_ failure: IEC104LinkFailure?) {
        if let failure {
            lastFailure = failure
            if wasStarted { losses &+= 1 }
        }
        wasStarted = false
        stream.close()
        link.connectionClosed()
    }
}
