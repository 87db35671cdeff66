import CShim
import EdgeCore
import MQTT

/// A firmware download over HTTP or HTTPS that survives dropped connections: the caller pulls
/// the body chunk by chunk (`next(into:)`), and when the connection drops or stalls the download
/// reconnects and asks for the rest with `Range: bytes=<received>-`, checking that the server
/// resumes exactly there (206 with the matching Content-Range and total). The byte stream is any
/// `MQTTTransport`: `TCPTransport` for http://, `TLSTransport` (mbedTLS, the server's chain and
/// name verified) for https://. The body is never held whole: only a fixed head buffer is
/// allocated, once, in `init`; reading allocates nothing (reconnecting may: name resolution).
///
/// Guarantees: the bytes returned are the file's bytes in order, each exactly once; the total is
/// checked against `expectedSize` when given; a server that ignores Range on a resume is refused
/// (`rangeRefused`) rather than restarting silently. Blocking, bounded by `timeoutMilliseconds`
/// per wait.
public struct HTTPDownload<Transport: MQTTTransport & ~Copyable>: ~Copyable {
    public let url: HTTPURL
    public let expectedSize: UInt64?
    public let maxDrops: Int
    public let timeoutMilliseconds: Int32
    /// Pause before reconnecting after a drop (blocking; 0 in tests).
    public let retryDelayMilliseconds: UInt32
    /// Body bytes delivered so far.
    public private(set) var received: UInt64 = 0
    /// The file's total size once a response told it.
    public private(set) var total: UInt64? = nil
    /// How many times the connection dropped and was resumed.
    public private(set) var drops = 0

    private var transport: Transport
    private var connected = false
    private let head: UnsafeMutableRawBufferPointer
    /// Body bytes that arrived with the head, waiting in `head[pendingStart..<pendingEnd]`.
    private var pendingStart = 0
    private var pendingEnd = 0
    private var bodyRemaining: UInt64 = 0

    /// `isTLS` says what `transport` speaks; it must match the URL's scheme.
    public init(url: HTTPURL, transport: consuming Transport, isTLS: Bool, expectedSize: UInt64? = nil, maxDrops: Int = 5,
                timeoutMilliseconds: Int32 = 15_000, retryDelayMilliseconds: UInt32 = 2_000,
                headCapacity: Int = 4096) throws(DownloadError) {
        guard url.isHTTPS == isTLS else { throw .unsupportedScheme }
        self.url = url
        self.transport = transport
        self.expectedSize = expectedSize
        self.maxDrops = maxDrops
        self.timeoutMilliseconds = timeoutMilliseconds
        self.retryDelayMilliseconds = retryDelayMilliseconds
        head = .allocate(byteCount: headCapacity, alignment: 8)
    }

    deinit {
        head.deallocate()
    }

    /// True once every byte was delivered.
    public var isComplete: Bool { total.map { received == $0 } ?? false }

    /// The next body bytes into `buffer`; 0 when the download is complete.
    public mutating func next(into buffer: UnsafeMutableRawBufferPointer) throws(DownloadError) -> Int {
        while true {
            if isComplete {
                disconnect()
                return 0
            }
            if !connected {
                do throws(DownloadError) { try open() } catch {
                    if Self.isTransient(error) { try dropped(); continue }
                    disconnect()
                    throw error
                }
            }
            if pendingEnd > pendingStart {
                let n = Int(min(UInt64(min(buffer.count, pendingEnd - pendingStart)), bodyRemaining))
                buffer.baseAddress!.copyMemory(from: head.baseAddress! + pendingStart, byteCount: n)
                pendingStart += n
                return deliver(n)
            }
            let limit = Int(min(UInt64(buffer.count), bodyRemaining))
            var n = 0
            do throws(DownloadError) {
                n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<limit]))
            } catch {
                try dropped()
                continue
            }
            if n == 0 {
                try dropped()
                continue
            }
            return deliver(n)
        }
    }

    /// Failures worth a reconnect: the network, a stall, the server's own trouble (5xx). Not:
    /// name resolution, TLS (a certificate that does not verify will not start to), HTTP 4xx.
    static func isTransient(_ error: DownloadError) -> Bool {
        switch error {
        case .network, .timedOut: return true
        case .status(let code): return code >= 500
        case .transport(let e): return e.kind != .tls && e.kind != .resolve
        default: return false
        }
    }

    private mutating func deliver(_ n: Int) -> Int {
        received += UInt64(n)
        bodyRemaining -= UInt64(n)
        if bodyRemaining == 0 { disconnect() }
        return n
    }

    private mutating func disconnect() {
        if connected || transport.descriptor >= 0 { transport.close() }
        connected = false
    }

    private mutating func dropped() throws(DownloadError) {
        disconnect()
        pendingStart = 0
        pendingEnd = 0
        drops += 1
        if drops > maxDrops { throw .tooManyDrops(drops) }
        if retryDelayMilliseconds > 0 { edge_sleep_ns(UInt64(retryDelayMilliseconds) * 1_000_000) }
    }

    /// Waits until the transport's descriptor has `events`, up to the timeout.
    private func wait(_ events: Int16) throws(DownloadError) -> Int16 {
        var p = pollfd(fd: transport.descriptor, events: events, revents: 0)
        while true {
            let n = poll(&p, 1, timeoutMilliseconds)
            if n > 0 { return p.revents }
            if n == 0 { throw .timedOut }
            let err = Errno.current
            if err != .interrupted { throw .network(operation: "poll", err) }
        }
    }

    private mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(DownloadError) -> Int {
        while true {
            do throws(MQTTTransportError) {
                let n = try transport.receive(into: buffer)
                if n > 0 { return n }
            } catch {
                if error.kind == .closedByPeer { return 0 }
                throw .transport(error)
            }
            if !transport.hasBufferedInput { _ = try wait(transport.pollEvents(wantWrite: false)) }
        }
    }

    private mutating func send(_ bytes: UnsafeRawBufferPointer) throws(DownloadError) {
        var done = 0
        while done < bytes.count {
            var n = 0
            do throws(MQTTTransportError) {
                n = try transport.send(UnsafeRawBufferPointer(rebasing: bytes[done...]))
            } catch { throw .transport(error) }
            done += n
            if n == 0 { _ = try wait(transport.pollEvents(wantWrite: true)) }
        }
    }

    /// Connects (TCP, then TLS if the transport does it), sends the (ranged) request, reads and
    /// checks the head.
    private mutating func open() throws(DownloadError) {
        disconnect()
        do throws(MQTTTransportError) {
            try transport.open(host: url.host, port: url.port)
        } catch {
            if error.kind == .resolve { throw .resolve(error.code) }
            throw .transport(error)
        }
        while true {
            let revents = try wait(transport.pollEvents(wantWrite: true))
            var established = false
            do throws(MQTTTransportError) { established = try transport.advance(revents: revents) } catch { throw .transport(error) }
            if established { break }
        }
        connected = true
        var request = "GET \(url.target) HTTP/1.1\r\nHost: \(url.host)\r\nUser-Agent: edge-agent\r\nAccept-Encoding: identity\r\n"
        if received > 0 { request += "Range: bytes=\(received)-\r\n" }
        request += "Connection: close\r\n\r\n"
        let copy = UnsafeMutableRawBufferPointer(rebasing: head[0..<min(head.count, request.utf8.count)])
        guard request.utf8.count <= head.count else { throw .malformedResponse("request longer than the head buffer") }
        for (i, c) in request.utf8.enumerated() { copy[i] = c }
        try send(UnsafeRawBufferPointer(copy))
        var filled = 0
        var headEnd: Int? = nil
        while headEnd == nil {
            guard filled < head.count else { throw .malformedResponse("head longer than the head buffer") }
            let n = try receive(into: UnsafeMutableRawBufferPointer(rebasing: head[filled...]))
            if n == 0 { throw .network(operation: "receive head", .ioError) }
            filled += n
            headEnd = HTTPResponseHead.headLength(UnsafeRawBufferPointer(rebasing: head[0..<filled]))
        }
        let parsed = try HTTPResponseHead.parse(UnsafeRawBufferPointer(rebasing: head[0..<headEnd!]))
        try accept(parsed)
        pendingStart = headEnd!
        pendingEnd = filled
    }

    private mutating func accept(_ h: HTTPResponseHead) throws(DownloadError) {
        guard !h.chunked else { throw .malformedResponse("chunked transfer encoding") }
        let fileTotal: UInt64
        if received == 0 && h.status == 200 {
            guard let length = h.contentLength else { throw .malformedResponse("no Content-Length") }
            fileTotal = length
            bodyRemaining = length
        } else if h.status == 206 {
            guard let first = h.rangeFirst, let last = h.rangeLast, let t = h.rangeTotal, first == received else {
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
