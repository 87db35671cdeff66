import CShim

/// Why a `ByteStream` failed: where (resolve, connect, I/O, TLS) and the system's or the TLS
/// library's code. The texts name the broker: MQTT is the stream's first user, and the words
/// are the ones the agent has always logged.
public struct ByteStreamError: Error, Equatable, Sendable {
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
        /// TLS failure (`code` is the TLS library's error).
        case tls
    }

    public var kind: Kind
    public var code: Int32
    /// Extra detail: for `.tls`, the certificate verification flags (0 if not a verify failure).
    public var detail: UInt32 = 0
    /// For `.tls`: the failure in the TLS library's words, with the failing certificate's names
    /// after a verification failure; set by the stream that threw it (on the error path only), so
    /// that code which does not link the TLS library can log them.
    public var tlsText: String? = nil

    public init(_ kind: Kind, code: Int32 = 0) {
        self.kind = kind
        self.code = code
    }

    /// One line for logs (a TLS code in hex: `tlsDescription` words it).
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

    /// TLS failures in the TLS library's words when the stream gave them ("TLS: broker
    /// certificate rejected: certificate expired (certificate CN=broker, issued by CN=CA)");
    /// otherwise `description`.
    public var tlsDescription: String {
        guard kind == .tls, let tlsText else { return description }
        return tlsText
    }
}
