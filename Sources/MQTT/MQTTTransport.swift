import CShim
import EdgeCore

/// A non-blocking byte stream to the broker, driven by poll(2): plain TCP (`TCPTransport`) or
/// TLS on top of it. Each conformer owns its descriptor and C contexts (so it is ~Copyable).
/// `receive`/`send` return 0 when the call would block; a closed or failed stream throws.
public protocol MQTTTransport: ~Copyable {
    /// The descriptor to poll, or -1 while closed.
    var descriptor: Int32 { get }
    /// True once the stream is ready for MQTT bytes (TCP connected, TLS handshake done).
    var isEstablished: Bool { get }
    /// Starts connecting (resolution happens here). Progress comes through `advance`.
    mutating func open(host: String, port: UInt16) throws(MQTTTransportError)
    /// The poll(2) events to wait for, given whether there is output pending.
    func pollEvents(wantWrite: Bool) -> Int16
    /// Moves connection set-up on after poll reported `revents`; true once established.
    mutating func advance(revents: Int16) throws(MQTTTransportError) -> Bool
    /// Received bytes into `buffer`: the count, or 0 if nothing is there now.
    mutating func receive(into buffer: UnsafeMutableRawBufferPointer) throws(MQTTTransportError) -> Int
    /// Sends from `bytes`: the count taken, or 0 if the socket is full now.
    mutating func send(_ bytes: UnsafeRawBufferPointer) throws(MQTTTransportError) -> Int
    /// Closes the stream (idempotent).
    mutating func close()
    /// True if received bytes wait inside the transport (e.g. a decrypted TLS record) that
    /// poll(2) cannot report: read again without waiting.
    var hasBufferedInput: Bool { get }
}

/// Why a transport failed: where (resolve, connect, I/O) and the system's code.
public struct MQTTTransportError: Error, Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        /// Name resolution failed (`code` is a getaddrinfo error).
        case resolve
        /// Every resolved address refused or failed (`code` is the last errno).
        case connect
        /// A read or write failed (`code` is errno).
        case io
        /// The peer closed the connection.
        case closedByPeer
        /// Used while not open.
        case notOpen
        /// TLS failure (`code` is the mbedTLS error).
        case tls
    }

    public var kind: Kind
    public var code: Int32
    /// Extra detail: for `.tls`, the certificate verification flags (0 if not a verify failure).
    public var detail: UInt32 = 0
    /// For a `.tls` verification failure: the subject of the broker's certificate that failed
    /// (nil if not known). Set on the error path only.
    public var subject: String? = nil

    public init(_ kind: Kind, code: Int32 = 0) {
        self.kind = kind
        self.code = code
    }

    /// One line for logs.
    public var description: String {
        switch kind {
        case .resolve:
            guard let text = edge_resolve_error_text(code) else { return "DNS failure: cannot resolve the host name (\(code))" }
            return "DNS failure: cannot resolve the host name: " + String(cString: text)
        case .connect:
            if code == ECONNREFUSED { return "connection refused (nothing listens on the port)" }
            if code == ETIMEDOUT { return "timed out connecting (TCP)" }
            return "cannot connect: " + Errno(rawValue: code).message
        case .io:
            if code == ECONNRESET || code == EPIPE { return "broker closed the connection (" + Errno(rawValue: code).message + ")" }
            return "socket I/O failed: " + Errno(rawValue: code).message
        case .closedByPeer: return "broker closed the connection"
        case .notOpen: return "transport not open"
        case .tls: return "TLS failure -0x" + String(UInt32(bitPattern: -code), radix: 16) + (detail != 0 ? ", certificate verification flags 0x" + String(detail, radix: 16) : "")
        }
    }
}
