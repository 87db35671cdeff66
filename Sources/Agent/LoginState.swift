import EnOS

/// A sub-device's login as the agent last heard of it: unknown (not tried, or logged out),
/// logged in, or the code of the last failure (the cloud's, or `EnOSGatewayEvent.timedOut` /
/// `.tooManyOnline`), with that code in words for the log.
enum LoginState {
    static let unknown = Int.min
    static let loggedIn = 200

    /// The failure `code` in words (spec: sub-device login errors).
    static func describe(_ code: Int) -> String {
        switch code {
        case EnOSGatewayEvent.timedOut: return "no reply from the cloud in time"
        case EnOSGatewayEvent.tooManyOnline: return "too many sub-devices online for the gateway"
        case 705: return "code 705: the cloud has no such sub-device"
        case 723: return "code 723: the sub-device is disabled in the cloud"
        case 740: return "code 740: the sub-device does not belong to this gateway (topology)"
        case 742: return "code 742: sign check failed (wrong deviceSecret)"
        case 770: return "code 770: dynamic activation not allowed"
        case 771: return "code 771: the sub-device cannot connect directly"
        default: return "code \(code)"
        }
    }
}
