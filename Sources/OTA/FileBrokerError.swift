/// Why a download through the EnOS HTTP broker (an order's `enos-connect://` or relative
/// `fileUrl`) failed before or around the file itself. Wrapped in `DownloadError.broker`.
public enum FileBrokerError: Error, Equatable, Sendable {
    /// The order names an EnOS file, but no HTTP broker is configured (`cloud.httpBroker`).
    case notConfigured
    /// The URI's scheme is not one the broker serves (`enos-lark://`, `ftp://`…).
    case unsupportedScheme
    /// The broker answered the authentication with this code (not 200) and message.
    case refused(code: Int, message: String)
    /// The authentication reply is not what the SDK reads (`{"code":200,"data":{"sessionId":…}}`).
    case malformedReply(StaticString)
    /// The download was answered 401/403: the session expired or was revoked (authenticate again).
    case sessionRejected(status: Int)
    /// A request (keys, file URI, session id) does not fit the download's head buffer.
    case requestTooLong

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.notConfigured, .notConfigured), (.unsupportedScheme, .unsupportedScheme), (.requestTooLong, .requestTooLong): return true
        case (.refused(let x, let m), .refused(let y, let n)): return x == y && m == n
        case (.malformedReply(let x), .malformedReply(let y)): return x.description == y.description
        case (.sessionRejected(let x), .sessionRejected(let y)): return x == y
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .notConfigured:
            return "enos-connect:// and relative file URIs are fetched through the EnOS HTTP broker, but cloud.httpBroker is not set"
        case .unsupportedScheme:
            return "not an http(s)://, enos-connect:// or relative file URI"
        case .refused(let code, let message):
            return "the EnOS HTTP broker refused the authentication (code \(code)" + (message.isEmpty ? ")" : ": \(message))")
        case .malformedReply(let what):
            return "bad authentication reply from the EnOS HTTP broker (\(what.description))"
        case .sessionRejected(let status):
            return "the EnOS HTTP broker rejected the session (HTTP \(status))"
        case .requestTooLong:
            return "the broker request (keys, file URI, session id) does not fit the head buffer"
        }
    }
}
