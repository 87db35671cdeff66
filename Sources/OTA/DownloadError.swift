import EdgeCore

/// Why a firmware download failed. All map to EnOS progress step `-2` (download failed).
public enum DownloadError: Error, Equatable, Sendable {
    /// Not `http(s)://host[:port]/path`, `enos-connect://…` or a relative file path.
    case badURL
    /// `https://` with a plain TCP transport, or `http://` with TLS.
    case unsupportedScheme
    /// The host name did not resolve (getaddrinfo's code).
    case resolve(Int32)
    /// Connecting, reading or writing the socket failed.
    case network(operation: StaticString, Errno)
    /// The transport failed (connect, I/O, peer closed, TLS).
    case transport(ByteStreamError)
    /// No byte within the read timeout.
    case timedOut
    /// The response head is longer than the head buffer, or malformed.
    case malformedResponse(StaticString)
    /// The server answered with this status (not 200/206).
    case status(Int)
    /// A resumed request was answered with the whole file (200) or another range.
    case rangeRefused
    /// The server's total size changed between requests, or differs from the announced size.
    case sizeMismatch(expected: UInt64, actual: UInt64)
    /// The connection dropped more often than allowed.
    case tooManyDrops(Int)
    /// The EnOS HTTP broker (authentication, session) failed.
    case broker(FileBrokerError)

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.badURL, .badURL), (.unsupportedScheme, .unsupportedScheme), (.timedOut, .timedOut),
             (.malformedResponse, .malformedResponse), (.rangeRefused, .rangeRefused): return true
        case (.resolve(let x), .resolve(let y)): return x == y
        case (.network(_, let x), .network(_, let y)): return x == y
        case (.transport(let x), .transport(let y)): return x == y
        case (.status(let x), .status(let y)): return x == y
        case (.sizeMismatch(let e, let a), .sizeMismatch(let f, let b)): return e == f && a == b
        case (.tooManyDrops(let x), .tooManyDrops(let y)): return x == y
        case (.broker(let x), .broker(let y)): return x == y
        default: return false
        }
    }

    /// EnOS `ota.device.progress` step: download failed.
    public var progressStep: Int { -2 }

    public var description: String {
        switch self {
        case .badURL: return "download: not an http(s)://host[:port]/path URL, an enos-connect:// URI or a relative file path"
        case .unsupportedScheme: return "download: the URL's scheme does not match the transport (https needs TLS)"
        case .resolve(let code): return "download: host name did not resolve (getaddrinfo \(code))"
        case .network(let op, let e): return "download: \(op.description) failed (\(e.message))"
        case .transport(let e): return "download: \(e.description)"
        case .timedOut: return "download: no data within the timeout"
        case .malformedResponse(let what): return "download: bad HTTP response (\(what.description))"
        case .status(let code): return "download: HTTP status \(code)"
        case .rangeRefused: return "download: server refused to resume (Range not honoured)"
        case .sizeMismatch(let e, let a): return "download: size \(a) bytes, expected \(e)"
        case .tooManyDrops(let n): return "download: connection dropped \(n) times, giving up"
        case .broker(let e): return "download: " + e.description
        }
    }
}
