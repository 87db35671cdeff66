/// The device→cloud requests this layer sends, each with its method name and topic. The topic is
/// always the prefix (`/sys/{pk}/{dk}/` or, for `combine.*`, `/ext/session/{pk}/{dk}/`) followed by
/// the method with dots turned into slashes; the cloud's reply comes on the topic + `_reply`.
public enum EnOSRequestKind: UInt8, Equatable, Sendable {
    case measurepointPost
    case measurepointPostBatch
    case measurepointResume
    case measurepointResumeBatch
    /// `thing.event.{eventId}.post` (the event id is given separately).
    case eventPost
    case subDeviceLogin
    case subDeviceLoginBatch
    case subDeviceLogout
    case connectionStatePost
    case otaInform
    case otaProgress
    /// `thing.topo.get` / `thing.topo.add` of the gateway (spec §4.3).
    case topologyGet
    case topologyAdd
    /// `thing.tsltemplate.get` of a sub-device, on its own topic (spec §8).
    case tslTemplateGet

    /// The method name; for `eventPost` the part before the event id (`thing.event.`).
    public var method: StaticString {
        switch self {
        case .measurepointPost: return "thing.measurepoint.post"
        case .measurepointPostBatch: return "thing.measurepoint.post.batch"
        case .measurepointResume: return "thing.measurepoint.resume"
        case .measurepointResumeBatch: return "thing.measurepoint.resume.batch"
        case .eventPost: return "thing.event."
        case .subDeviceLogin: return "combine.login"
        case .subDeviceLoginBatch: return "combine.login.batch"
        case .subDeviceLogout: return "combine.logout"
        case .connectionStatePost: return "connection.state.post"
        case .otaInform: return "ota.device.inform"
        case .otaProgress: return "ota.device.progress"
        case .topologyGet: return "thing.topo.get"
        case .topologyAdd: return "thing.topo.add"
        case .tslTemplateGet: return "thing.tsltemplate.get"
        }
    }

    /// True for the gateway-session topics under `/ext/session/`.
    public var isSessionTopic: Bool {
        self == .subDeviceLogin || self == .subDeviceLoginBatch || self == .subDeviceLogout
    }

    /// True for the four measurepoint messages.
    public var isMeasurepoints: Bool {
        switch self {
        case .measurepointPost, .measurepointPostBatch, .measurepointResume, .measurepointResumeBatch: return true
        default: return false
        }
    }
}

/// The cloud→device commands this layer decodes (spec §3.2, §4.7, §6, §7).
public enum EnOSCommandKind: UInt8, Equatable, Sendable {
    /// `thing.service.measurepoint.set`: point id → value to write.
    case measurepointSet
    /// `thing.service.measurepoint.get`: an array of point ids to read.
    case measurepointGet
    /// `thing.service.{serviceId}`: a TSL service with named input parameters.
    case service
    /// `ota.device.upgrade`: a firmware push.
    case otaUpgrade
    /// `combine.enable` / `combine.disable` / `combine.delete`: sub-devices (pk/dk list).
    case subDevicesEnabled
    case subDevicesDisabled
    case subDevicesDeleted

    /// The topic after `/sys/{pk}/{dk}/` or `/ext/session/{pk}/{dk}/` (for `service`, the part
    /// before the service id).
    public var topicSuffix: StaticString {
        switch self {
        case .measurepointSet: return "thing/service/measurepoint/set"
        case .measurepointGet: return "thing/service/measurepoint/get"
        case .service: return "thing/service/"
        case .otaUpgrade: return "ota/device/upgrade"
        case .subDevicesEnabled: return "combine/enable"
        case .subDevicesDisabled: return "combine/disable"
        case .subDevicesDeleted: return "combine/delete"
        }
    }

    /// True for the gateway-session topics under `/ext/session/`.
    public var isSessionTopic: Bool {
        self == .subDevicesEnabled || self == .subDevicesDisabled || self == .subDevicesDeleted
    }
}
