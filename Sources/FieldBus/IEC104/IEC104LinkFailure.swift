import CShim
import EdgeCore
import IEC104
import TLS

/// Why an IEC 104 link went down: the connection could not be made (refused, not within T0), the
/// TLS handshake failed (the outstation's certificate not trusted, not naming the host) or did
/// not end within T0, a frame went unacknowledged for T1, the outstation broke the protocol, or the socket failed or
/// was closed. A small value (no text stored), kept by `IEC104Master` and carried to the log and
/// the console as `FieldFailureDetail.iec104`; `description` words it.
public enum IEC104LinkFailure: Equatable, Sendable {
    case connect(ByteStreamError.Kind, code: Int32)
    /// T0: the TCP connection was not made in time.
    case connectTimeout
    /// TLS (IEC 62351-3): the handshake failed; mbedTLS's code and, when the outstation's
    /// certificate was rejected, the verification flags.
    case tlsHandshake(code: Int32, verifyFlags: UInt32)
    /// T0 ran out after the TCP connection was made, during the TLS handshake.
    case tlsHandshakeTimeout
    /// The TLS client could not be set up (its CA, certificate or key files, read at start).
    case tlsSetup(code: Int32)
    /// T1: STARTDT, an I frame or TESTFR was not acknowledged in time.
    case acknowledgementTimeout
    case protocolError(IEC104Error)
    /// The station refused the clock synchronisation (C_CS_NA_1): the cause of its answer (7
    /// with P/N set, or 44-47). The link stays up; said once per cause.
    case clockSyncRefused(causeCode: UInt8)
    /// Plain TCP: the outstation closed the connection before confirming STARTDT (what an
    /// outstation that speaks TLS only does with plain IEC 104 bytes).
    case closedBeforeStart
    case send(ByteStreamError.Kind, code: Int32)
    case receive(ByteStreamError.Kind, code: Int32)

    /// The link's close reason from `IEC104Link.poll()`.
    public init(_ reason: LinkCloseReason) {
        switch reason {
        case .connectTimeout: self = .connectTimeout
        case .acknowledgementTimeout: self = .acknowledgementTimeout
        case .protocolError(let e): self = .protocolError(e)
        }
    }

    /// "iec104 link: connection refused (nothing listens on the port)", "iec104 link: no
    /// acknowledgement within T1 (outstation silent)" (allocates: for logs and the console).
    public var description: String {
        switch self {
        case .protocolError(let e): return e.text   // "iec104: I frame out of sequence at byte…"
        case .connect(let kind, let code):
            if kind == .closedByPeer {
                return "iec104 link: TLS handshake failed: the outstation closed the connection (does it trust our certificate?)"
            }
            if kind == .resolve { return "iec104 link: " + ByteStreamError(kind, code: code).description }
            if code == ECONNREFUSED { return "iec104 link: connection refused (nothing listens on the port)" }
            if code == ETIMEDOUT { return "iec104 link: timed out connecting (TCP)" }
            return "iec104 link: cannot connect: " + Errno(rawValue: code).message
        case .connectTimeout: return "iec104 link: no connection within T0"
        case .tlsHandshake(let code, let flags):
            if flags != 0 { return "iec104 link: TLS handshake failed: outstation certificate rejected: " + TLSErrorText.verification(flags) }
            return "iec104 link: TLS handshake failed: " + TLSErrorText.text(code)
        case .clockSyncRefused(let code):
            return "iec104: the station refused the clock synchronisation (C_CS_NA_1): "
                + (code == Cause.activationConfirmation.rawValue ? "negative activation confirmation" : Cause.text(code))
                + " (COT \(code))"
        case .closedBeforeStart:
            return "iec104 link: the outstation closed the connection before confirming STARTDT (does it expect TLS? see the bus's \"tls\")"
        case .tlsHandshakeTimeout: return "iec104 link: TLS handshake not complete within T0"
        case .tlsSetup(let code): return "iec104 link: TLS set-up failed (caFile, certFile, keyFile): " + TLSErrorText.text(code)
        case .acknowledgementTimeout: return "iec104 link: no acknowledgement within T1 (outstation silent)"
        case .send(let kind, let code): return Self.socket("send", kind, code)
        case .receive(let kind, let code): return Self.socket("receive", kind, code)
        }
    }

    static func socket(_ operation: String, _ kind: ByteStreamError.Kind, _ code: Int32) -> String {
        if kind == .closedByPeer || code == ECONNRESET || code == EPIPE { return "iec104 link: the outstation closed the connection" }
        if kind == .tls { return "iec104 link: TLS " + operation + " failed: " + TLSErrorText.text(code) }
        return "iec104 link: " + operation + " failed: " + Errno(rawValue: code).message
    }

    /// The same cause for log purposes: the same case and errno, or the same kind of protocol
    /// error (whatever its offset and value), so a link that keeps failing alike is said once.
    public func isSameCause(as other: IEC104LinkFailure) -> Bool {
        switch (self, other) {
        case (.protocolError(let a), .protocolError(let b)): return a.kind == b.kind
        default: return self == other
        }
    }
}
