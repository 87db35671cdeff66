import CShim
import EdgeCore
import IEC104

/// Why an IEC 104 link went down: the connection could not be made (refused, not within T0), a
/// frame went unacknowledged for T1, the outstation broke the protocol, or the socket failed or
/// was closed. A small value (no text stored), kept by `IEC104Master` and carried to the log and
/// the console as `FieldFailureDetail.iec104`; `description` words it.
public enum IEC104LinkFailure: Equatable, Sendable {
    case connect(ByteStreamError.Kind, code: Int32)
    /// T0: the TCP connection was not made in time.
    case connectTimeout
    /// T1: STARTDT, an I frame or TESTFR was not acknowledged in time.
    case acknowledgementTimeout
    case protocolError(IEC104Error)
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
            if kind == .resolve { return "iec104 link: " + ByteStreamError(kind, code: code).description }
            if code == ECONNREFUSED { return "iec104 link: connection refused (nothing listens on the port)" }
            if code == ETIMEDOUT { return "iec104 link: timed out connecting (TCP)" }
            return "iec104 link: cannot connect: " + Errno(rawValue: code).message
        case .connectTimeout: return "iec104 link: no connection within T0"
        case .acknowledgementTimeout: return "iec104 link: no acknowledgement within T1 (outstation silent)"
        case .send(let kind, let code): return Self.socket("send", kind, code)
        case .receive(let kind, let code): return Self.socket("receive", kind, code)
        }
    }

    static func socket(_ operation: String, _ kind: ByteStreamError.Kind, _ code: Int32) -> String {
        if kind == .closedByPeer || code == ECONNRESET || code == EPIPE { return "iec104 link: the outstation closed the connection" }
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
