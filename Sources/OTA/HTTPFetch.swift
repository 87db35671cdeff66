import CShim
import EdgeCore
import EdgeCrypto

/// A firmware download over HTTP or HTTPS as a step of the caller's poll loop: it never blocks
/// (apart from name resolution inside `open`, as MQTT's transports do). The caller polls
/// `descriptor` for the events of the last `.wait` step (or only sleeps until its instant when the
/// descriptor is -1, e.g. before a reconnect), then calls `step` again with the `revents` it got
/// (0 when it woke for another reason). Each `step` does at most one read, so one turn of the
/// loop costs at most one buffer of work.
///
/// Like `HTTPDownload` (its blocking sibling): when the connection drops, stalls for
/// `stallTimeoutMilliseconds` or the server answers 5xx, it reconnects after
/// `retryDelayMilliseconds` and asks for the rest with `Range: bytes=<received>-`, and accepts
/// only a 206 that resumes exactly there with the same total; a 200 to a resume is refused
/// (`rangeRefused`). Failures while connecting (TLS: a certificate that does not verify will not
/// start to; name resolution), 4xx, a refused resume and a changed size are final.
///
/// An EnOS file (`init(broker:fileURI:…)`) comes through the EnOS HTTP broker: before a
/// connection for the file, one for the authentication when there is no session yet or it is
/// older than 9/10 of its lifetime (`EnOSBrokerCodec` has the requests and the reply); then the
/// file's download is the same ranged GET, resumed the same way. A download answered 401/403
/// drops the session and counts as a drop (authenticate again); a refused authentication is
/// final.
///
/// Guarantees: the bytes returned are the file's bytes in order, each exactly once; the total is
/// checked against `expectedSize` when given. Memory: one head buffer and a 128-byte session
/// buffer allocated in `init`; steps allocate nothing except when (re)connecting (the request
/// line, name resolution, the authentication's digest context).
public struct HTTPFetch<Transport: ByteStream & ~Copyable>: ~Copyable {
    /// What a step produced.
    public enum Step: Equatable, Sendable {
        /// `count` body bytes are at the start of the caller's buffer.
        case data(Int)
        /// Nothing to do until `descriptor` reports one of `events` (0: none, only the timer)
        /// or `until` passes.
        case wait(events: Int16, until: MonotonicInstant)
        /// Every byte was delivered.
        case complete
    }

    enum Stage { case idle, connecting, sending, readingHead, authBody, body, done }

    /// Longest session id kept from the broker's authentication.
    public static var sessionCapacity: Int { 128 }

    public let url: HTTPURL
    public let expectedSize: UInt64?
    public let maxDrops: Int
    public let stallTimeoutMilliseconds: UInt64
    public let retryDelayMilliseconds: UInt64
    /// Body bytes delivered so far.
    public private(set) var received: UInt64 = 0
    /// The file's total size once a response told it.
    public private(set) var total: UInt64? = nil
    /// How many times the connection dropped and was resumed.
    public private(set) var drops = 0

    private var transport: Transport
    private var stage = Stage.idle
    /// Until when nothing may happen before the connection counts as stalled (or, idle, when
    /// the next connection may start).
    private var deadline: MonotonicInstant? = nil
    private let head: UnsafeMutableRawBufferPointer
    private var requestLength = 0
    private var sent = 0
    private var filled = 0
    /// Body bytes that arrived with the head, waiting in `head[pendingStart..<pendingEnd]`.
    private var pendingStart = 0
    private var pendingEnd = 0
    private var bodyRemaining: UInt64 = 0
    /// The EnOS HTTP broker and the file's URI there (nil: a plain http(s) URL).
    private let broker: EnOSFileBroker?
    private let fileURI: String
    private let session: UnsafeMutableRawBufferPointer
    private var sessionLength = 0
    private var sessionRenewal = MonotonicInstant(nanoseconds: 0)
    /// The connection carries the broker's authentication, not the file.
    private var authenticating = false
    private var authBodyStart = 0
    private var authBodyLength: Int? = nil
    private var authChunked = false

    /// `isTLS` says what `transport` speaks; it must match the URL's scheme.
    public init(url: HTTPURL, transport: consuming Transport, isTLS: Bool, expectedSize: UInt64? = nil, maxDrops: Int = 5,
                stallTimeoutMilliseconds: UInt64 = 15_000, retryDelayMilliseconds: UInt64 = 2_000,
                headCapacity: Int = 4096) throws(DownloadError) {
        try self.init(url: url, broker: nil, fileURI: "", transport: transport, isTLS: isTLS, expectedSize: expectedSize,
                      maxDrops: maxDrops, stallTimeoutMilliseconds: stallTimeoutMilliseconds,
                      retryDelayMilliseconds: retryDelayMilliseconds, headCapacity: headCapacity)
    }

    /// The EnOS file `fileURI` (`enos-connect://…` or a relative path) through `broker`;
    /// `isTLS` must match the broker's scheme.
    public init(broker: EnOSFileBroker, fileURI: String, transport: consuming Transport, isTLS: Bool, expectedSize: UInt64? = nil,
                maxDrops: Int = 5, stallTimeoutMilliseconds: UInt64 = 15_000, retryDelayMilliseconds: UInt64 = 2_000,
                headCapacity: Int = 4096) throws(DownloadError) {
        try self.init(url: broker.url, broker: broker, fileURI: fileURI, transport: transport, isTLS: isTLS, expectedSize: expectedSize,
                      maxDrops: maxDrops, stallTimeoutMilliseconds: stallTimeoutMilliseconds,
                      retryDelayMilliseconds: retryDelayMilliseconds, headCapacity: headCapacity)
    }

    private init(url: HTTPURL, broker: EnOSFileBroker?, fileURI: String, transport: consuming Transport, isTLS: Bool,
                 expectedSize: UInt64?, maxDrops: Int, stallTimeoutMilliseconds: UInt64, retryDelayMilliseconds: UInt64,
                 headCapacity: Int) throws(DownloadError) {
        guard url.isHTTPS == isTLS else { throw .unsupportedScheme }
        self.url = url
        self.broker = broker
        self.fileURI = fileURI
        self.transport = transport
        self.expectedSize = expectedSize
        self.maxDrops = maxDrops
        self.stallTimeoutMilliseconds = stallTimeoutMilliseconds
        self.retryDelayMilliseconds = retryDelayMilliseconds
        // The broker's authentication request is built in the head buffer (`EnOSBrokerCodec` needs > 512 bytes).
        head = .allocate(byteCount: broker == nil ? headCapacity : max(headCapacity, 1024), alignment: 8)
        session = .allocate(byteCount: Self.sessionCapacity, alignment: 8)
    }

    deinit {
        head.deallocate()  // the transport closes itself in its own deinit
        session.deallocate()
    }

    /// The descriptor to poll (-1 while not connected).
    public var descriptor: Int32 { transport.descriptor }

    /// True once every byte was delivered.
    public var isComplete: Bool { stage == .done }

    /// Closes the connection; the fetch is over (later steps say `.complete` only if it was).
    public mutating func cancel() {
        disconnect()
        if stage != .done { stage = .idle; deadline = nil }
    }

    /// One step: `revents` are the events poll(2) reported on `descriptor` since the last
    /// `.wait` (0 if none), `now` the monotonic time. Body bytes go into `buffer`.
    public mutating func step(into buffer: UnsafeMutableRawBufferPointer, revents: Int16, now: MonotonicInstant) throws(DownloadError) -> Step {
        // A few stage changes may happen in one step (connected → request sent → head read);
        // every path that does I/O without progress returns.
        var turns = 0
        while turns < 8 {
            turns += 1
            if stage != .done, stage != .idle, let deadline, now >= deadline {
                try dropped(now: now, after: .timedOut)
                continue
            }
            do throws(DownloadError) {
                switch stage {
                case .done:
                    return .complete
                case .idle:
                    if let deadline, now < deadline { return .wait(events: 0, until: deadline) }
                    try open(now: now)
                case .connecting:
                    var established = false
                    do throws(ByteStreamError) { established = try transport.advance(revents: revents) } catch {
                        throw .transport(error)
                    }
                    if !established { return waitOn(wantWrite: true) }
                    progressed(now)
                    stage = .sending
                case .sending:
                    var n = 0
                    do throws(ByteStreamError) {
                        n = try transport.send(UnsafeRawBufferPointer(rebasing: head[sent..<requestLength]))
                    } catch { throw .transport(error) }
                    if n == 0 { return waitOn(wantWrite: true) }
                    sent += n
                    progressed(now)
                    if sent == requestLength { stage = .readingHead; filled = 0 }
                case .readingHead:
                    guard filled < head.count else { throw .malformedResponse("head longer than the head buffer") }
                    let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: head[filled...]))
                    if n == 0 { return waitOn(wantWrite: false) }
                    filled += n
                    progressed(now)
                    if let end = HTTPResponseHead.headLength(UnsafeRawBufferPointer(rebasing: head[0..<filled])) {
                        let parsed = try HTTPResponseHead.parse(UnsafeRawBufferPointer(rebasing: head[0..<end]))
                        if authenticating {
                            try acceptAuthentication(parsed, bodyStart: end)
                            continue
                        }
                        try accept(parsed)
                        pendingStart = end
                        pendingEnd = filled
                        stage = .body
                        if bodyRemaining == 0 { finishBody() }
                    }
                case .authBody:
                    if try finishAuthentication(now: now, closed: false) { continue }
                    guard filled < head.count else { throw .broker(.malformedReply("longer than the head buffer")) }
                    var n = 0
                    do throws(ByteStreamError) {
                        n = try transport.receive(into: UnsafeMutableRawBufferPointer(rebasing: head[filled...]))
                    } catch {
                        // A reply without length or chunks ends when the broker closes.
                        if error.kind == .closedByPeer, authBodyLength == nil, !authChunked, try finishAuthentication(now: now, closed: true) {
                            continue
                        }
                        if error.kind == .closedByPeer { throw .network(operation: "receive", .ioError) }
                        throw .transport(error)
                    }
                    if n == 0 { return waitOn(wantWrite: false) }
                    filled += n
                    progressed(now)
                case .body:
                    if pendingEnd > pendingStart {
                        let n = Int(min(UInt64(min(buffer.count, pendingEnd - pendingStart)), bodyRemaining))
                        buffer.baseAddress!.copyMemory(from: head.baseAddress! + pendingStart, byteCount: n)
                        pendingStart += n
                        return .data(deliver(n))
                    }
                    let limit = Int(min(UInt64(buffer.count), bodyRemaining))
                    let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<limit]))
                    if n == 0 { return waitOn(wantWrite: false) }
                    progressed(now)
                    return .data(deliver(n))
                }
            } catch {
                // Once connected, any transport failure (a TLS record cut by the drop included) is
                // a drop to resume; while connecting, TLS and resolution failures are final.
                let connected = stage == .sending || stage == .readingHead || stage == .authBody || stage == .body
                let transportFailure: Bool
                if case .transport = error { transportFailure = true } else { transportFailure = false }
                guard Self.isTransient(error) || (connected && transportFailure) else {
                    disconnect()
                    stage = .idle
                    throw error
                }
                try dropped(now: now, after: error)
            }
        }
        return waitOn(wantWrite: false)
    }

    /// Failures worth a reconnect: the network, a stall, a peer that closed early, the server's
    /// own trouble (5xx). Not: name resolution, TLS (a certificate that does not verify will not
    /// start to), HTTP 4xx, a refused resume, a changed size.
    static func isTransient(_ error: DownloadError) -> Bool {
        switch error {
        case .network, .timedOut: return true
        case .status(let code): return code >= 500
        case .transport(let e): return e.kind != .tls && e.kind != .resolve
        case .broker(.sessionRejected): return true
        default: return false
        }
    }

    private func waitOn(wantWrite: Bool) -> Step {
        .wait(events: transport.pollEvents(wantWrite: wantWrite), until: deadline ?? MonotonicInstant(nanoseconds: UInt64.max))
    }

    private mutating func progressed(_ now: MonotonicInstant) {
        deadline = now.advanced(byMilliseconds: stallTimeoutMilliseconds)
    }

    private mutating func deliver(_ n: Int) -> Int {
        received += UInt64(n)
        bodyRemaining -= UInt64(n)
        if bodyRemaining == 0 { finishBody() }
        return n
    }

    private mutating func finishBody() {
        if let total, received == total {
            disconnect()
            stage = .done
        } else {
            // The range ended before the file did (a server that sent a shorter range): ask again.
            disconnect()
            stage = .idle
            deadline = nil
        }
    }

    private mutating func disconnect() {
        if transport.descriptor >= 0 { transport.close() }
    }

    private mutating func dropped(now: MonotonicInstant, after error: DownloadError) throws(DownloadError) {
        disconnect()
        pendingStart = 0
        pendingEnd = 0
        drops += 1
        stage = .idle
        deadline = now.advanced(byMilliseconds: retryDelayMilliseconds)
        if drops > maxDrops {
            deadline = nil
            throw .tooManyDrops(drops)
        }
    }

    private mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(DownloadError) -> Int {
        do throws(ByteStreamError) {
            return try transport.receive(into: buffer)
        } catch {
            if error.kind == .closedByPeer { throw .network(operation: "receive", .ioError) }
            throw .transport(error)
        }
    }

    /// Starts connecting and writes the (ranged) request into the head buffer.
    private mutating func open(now: MonotonicInstant) throws(DownloadError) {
        disconnect()
        if let total, received == total {
            stage = .done
            return
        }
        authenticating = false
        if let broker {
            do throws(FileBrokerError) {
                if sessionLength == 0 || now >= sessionRenewal {
                    sessionLength = 0
                    var hasher = SHA256()
                    requestLength = try EnOSBrokerCodec.writeAuthRequest(broker, hasher: &hasher, into: head)
                    authenticating = true
                } else {
                    requestLength = try EnOSBrokerCodec.writeDownloadRequest(
                        broker, session: UnsafeRawBufferPointer(rebasing: session[0..<sessionLength]), fileURI: fileURI,
                        from: received, into: head)
                }
            } catch { throw .broker(error) }
        } else {
            var request = "GET \(url.target) HTTP/1.1\r\nHost: \(url.host)\r\nUser-Agent: edge-agent\r\nAccept-Encoding: identity\r\n"
            if received > 0 { request += "Range: bytes=\(received)-\r\n" }
            request += "Connection: close\r\n\r\n"
            guard request.utf8.count <= head.count else { throw .malformedResponse("request longer than the head buffer") }
            var i = 0
            for c in request.utf8 { head[i] = c; i += 1 }
            requestLength = i
        }
        sent = 0
        do throws(ByteStreamError) {
            try transport.open(host: url.host, port: url.port)
        } catch {
            if error.kind == .resolve { throw .resolve(error.code) }
            throw .transport(error)
        }
        stage = .connecting
        progressed(now)
    }

    /// The head of the broker's authentication reply: 200 with its body (in `head` from
    /// `bodyStart`) to read whole; another status fails as any HTTP status does.
    private mutating func acceptAuthentication(_ h: HTTPResponseHead, bodyStart: Int) throws(DownloadError) {
        guard h.status == 200 else { throw .status(h.status) }
        authBodyStart = bodyStart
        authChunked = h.chunked
        authBodyLength = h.chunked ? nil : h.contentLength.map { Int(clamping: $0) }
        if let length = authBodyLength, length > head.count - bodyStart {
            throw .broker(.malformedReply("longer than the head buffer"))
        }
        stage = .authBody
    }

    /// When the whole authentication reply is in `head` (or the broker closed after a reply
    /// without length): keeps the session and closes, so that the next step connects for the
    /// file at once. False while more is to come.
    private mutating func finishAuthentication(now: MonotonicInstant, closed: Bool) throws(DownloadError) -> Bool {
        let available = UnsafeMutableRawBufferPointer(rebasing: head[authBodyStart..<filled])
        let length: Int
        if authChunked {
            guard let n = try HTTPChunkedBody.decode(available) else { return false }
            length = n
        } else if let expected = authBodyLength {
            guard available.count >= expected else { return false }
            length = expected
        } else {
            guard closed else { return false }
            length = available.count
        }
        do throws(FileBrokerError) {
            sessionLength = try EnOSBrokerCodec.parseAuthReply(UnsafeRawBufferPointer(rebasing: available[0..<length]), session: session)
        } catch { throw .broker(error) }
        let lifetime = broker?.lifetimeMilliseconds ?? EnOSFileBroker.defaultLifetimeMilliseconds
        sessionRenewal = now.advanced(byMilliseconds: lifetime / 10 * 9)
        authenticating = false
        disconnect()
        stage = .idle
        deadline = nil
        return true
    }

    private mutating func accept(_ h: HTTPResponseHead) throws(DownloadError) {
        if broker != nil && (h.status == 401 || h.status == 403) {
            sessionLength = 0
            throw .broker(.sessionRejected(status: h.status))
        }
        guard !h.chunked else { throw .malformedResponse("chunked transfer encoding") }
        let fileTotal: UInt64
        if received == 0 && h.status == 200 {
            guard let length = h.contentLength else { throw .malformedResponse("no Content-Length") }
            fileTotal = length
            bodyRemaining = length
        } else if h.status == 206 {
            guard let first = h.rangeFirst, let last = h.rangeLast, let t = h.rangeTotal, first == received, last >= first else {
                throw .rangeRefused
            }
            fileTotal = t
            bodyRemaining = last - first + 1
            if let length = h.contentLength, length != bodyRemaining { throw .malformedResponse("Content-Length differs from Content-Range") }
        } else if h.status == 200 {
            throw .rangeRefused
        } else if h.status == 416 && total == received {
            fileTotal = received
            bodyRemaining = 0
        } else {
            throw .status(h.status)
        }
        if let known = total, known != fileTotal { throw .sizeMismatch(expected: known, actual: fileTotal) }
        if let expectedSize, expectedSize != fileTotal { throw .sizeMismatch(expected: expectedSize, actual: fileTotal) }
        total = fileTotal
    }
}
