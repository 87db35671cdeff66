import EnOS

/// A sub-device's login as the agent last heard of it: unknown (not tried, or logged out),
/// logged in, or the code of the last failure (the cloud's, or `EnOSGatewayEvent.timedOut` /
/// `.tooManyOnline`), with that code in words for the log.
public enum LoginState {
    public static let unknown = Int.min
    public static let loggedIn = 200

    /// The failure `code` in words (spec: sub-device login errors).
    public static func describe(_ code: Int) -> String {
        switch code {
        case EnOSGatewayEvent.timedOut: return "no reply from the cloud in time"
        case EnOSGatewayEvent.tooManyOnline: return "too many sub-devices online for the gateway"
        case 705: return "code 705: the cloud has no such sub-device"
        case 723: return "code 723: the sub-device is disabled in the cloud"
        case 740: return "code 740: the sub-device does not belong to this gateway (topology)"
        case 742: return "code 742: sign check failed (wrong deviceSecret)"
        case 770: return "code 770: dynamic activation not allowed"
        case 771: return "code 771: the sub-device cannot connect directly"
        case 1255: return "code 1255: the cloud refused to add the sub-device to the gateway's topology (thing.topo.add: no such sub-device, attached to another gateway, or the gateway is full)"
        default: return "code \(code)"
        }
    }

    /// What a `combine.*` notice of the cloud means for the sub-device, in words for the log.
    public static func describe(_ notice: EnOSSubDeviceNotice) -> String {
        switch notice {
        case .enabled:
            return "enabled in the cloud (combine.enable): logging it in again"
        case .disabled:
            return "disabled in the cloud (combine.disable): logged out and not logged in again until the cloud enables it; its samples are still collected and sent (allowOfflineSubDevice) and kept until confirmed; if the cloud refuses them (723), they are left out and counted (samplesOfRefusedDevices) until it is enabled"
        case .deleted:
            return "deleted in the cloud (combine.delete): logged out and not logged in again by this process; its samples are no longer sent: left out and counted (samplesOfRefusedDevices); remove it from cloud.subDevices"
        }
    }
}
