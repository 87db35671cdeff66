import MQTT

/// How `EnOSGateway` confirms a request: by the cloud's `_reply` with code 200 (EnOS), or by the
/// broker's PUBACK (a plain MQTT broker that never answers `_reply` topics).
public enum EnOSAcknowledgement: Sendable {
    case cloudReply
    case brokerPuback
}

/// Everything an `EnOSGateway` is sized and timed by, fixed at start-up.
public struct EnOSGatewayConfiguration {
    public var gateway: EnOSDeviceIdentity
    /// The sub-devices behind the gateway; events and methods name them by index in this list.
    public var subDevices: [EnOSDeviceIdentity]
    /// The free client id signed into CONNECT (≤ 64 characters; nil: the gateway's device key).
    public var clientId: String?
    /// Sent as `ota.device.inform` after every connect (nil: not sent).
    public var firmwareVersion: String?
    public var acknowledgement: EnOSAcknowledgement = .cloudReply
    /// Largest message payload (EnOS: 512 KB). Sizes the MQTT packet limit, output buffer and
    /// store: lower it to save RAM (the store and the output each hold at least one message).
    public var maximumMessageBytes = EnOSMeasurepointMessage.defaultMaximumBytes
    /// The gateway's own encoding buffer: command replies, login batches, state posts, events.
    public var controlBufferBytes = 16 * 1024
    /// Requests awaiting their reply at most (the publish window).
    public var pendingCapacity = 16
    public var replyTimeoutMilliseconds: UInt64 = 60_000
    /// EnOS refuses more than 200 online sub-devices per gateway.
    public var maximumOnlineSubDevices = 200
    /// Sub-devices per `combine.login.batch` at most.
    public var loginBatchSize = 50
    /// A sub-device whose login failed is tried again after this long, doubled with each further
    /// failure in a row (at most 5 minutes).
    public var loginRetryMilliseconds: UInt64 = 60_000
    /// Make sure every sub-device is in the gateway's topology before its login (`thing.topo.get`,
    /// then `thing.topo.add` for the missing ones) after every connect: EnOS refuses the login of
    /// a sub-device outside the topology (740). Off where an operator manages the topology.
    public var managesTopology = true
    /// Fetch each sub-device product's TSL model (`thing.tsltemplate.get`) once per product key
    /// and connection, at the first login of one of its sub-devices: reported as `.model`.
    public var checksModels = false
    /// Post `connection.state.post` (full) after every connect.
    public var postsConnectionState = true
    /// Sub-devices post TSL events (alarms): subscribe to each one's `thing/event/+/post_reply`.
    public var postsDeviceEvents = false
    /// Sign timestamp (epoch ms) for CONNECT; nil: the clock's wall time at start-up.
    public var signTimestampMilliseconds: Int64? = nil
    public var keepAliveSeconds: UInt16 = 60
    /// QoS 1 messages on the wire without PUBACK at most.
    public var inFlightWindow = 16
    /// Unacknowledged QoS 1 messages kept at most (bytes: nil = 2 × the largest packet).
    public var outgoingStoreBytes: Int? = nil
    public var outgoingStoreMessages = 64
    public var connectTimeoutMilliseconds: UInt64 = 30_000
    public var reconnect: MQTTReconnectPolicy = .enos

    public init(gateway: EnOSDeviceIdentity, subDevices: [EnOSDeviceIdentity] = [], clientId: String? = nil,
                firmwareVersion: String? = nil) {
        self.gateway = gateway
        self.subDevices = subDevices
        self.clientId = clientId
        self.firmwareVersion = firmwareVersion
    }
}

/// What an `EnOSGateway` reports to the agent's closure. Values referencing received bytes
/// (`command`, a reply's `message`) are valid only during the callback; the gateway cannot be
/// called from inside the callback (keep what is needed, e.g. `command.replyHandle`, and act
/// after `handle`/`pollRequest` returns).
public enum EnOSGatewayEvent {
    /// Connected and subscribed: requests may be published. Sub-device logins are under way.
    case connected
    /// The connection ended or an attempt failed; the MQTT client reconnects by its policy.
    /// Every pending request was reported as `replyTimedOut`.
    case disconnected(MQTTClientError)
    /// The broker refused a subscription (SUBACK return code 0x80): nothing published on
    /// `topicFilter` (commands, replies) reaches the gateway on this connection.
    case subscriptionRefused(topicFilter: String)
    case subDeviceLoggedIn(Int)
    /// `code`: the cloud's code (e.g. 723 disabled, 742 sign), `EnOSGatewayEvent.timedOut` or
    /// `EnOSGatewayEvent.tooManyOnline`.
    /// The gateway retries after `loginRetryMilliseconds` (doubling while it keeps failing) while
    /// the sub-device is wanted. `message`: the reply's text (valid during the callback only).
    case subDeviceLoginFailed(Int, code: Int, message: EnOSText?)
    case subDeviceLoggedOut(Int)
    /// The cloud enabled, disabled or deleted sub-device `index` (`combine.enable/disable/delete`,
    /// already answered 200). Reported when its state changes: disabled, it is logged out and not
    /// logged in again until enabled; deleted, it is logged out for good (this process).
    case subDeviceNotice(Int, EnOSSubDeviceNotice)
    /// The cloud's reply to a request the agent made (`code` 200: done; delete from the log).
    case reply(id: UInt32, tag: UInt64, kind: EnOSRequestKind, code: Int, message: EnOSText?)
    /// No reply within the timeout, or the connection was lost first: send it again.
    case replyTimedOut(id: UInt32, tag: UInt64, kind: EnOSRequestKind)
    /// A valid command: act, then `reply(to: command.replyHandle, …)`.
    case command(EnOSCommand)
    /// A command that could not be decoded; already answered with `error.code` (if it had an id).
    case commandRejected(EnOSMessageError)
    /// The reply to the `thing.tsltemplate.get` sent for sub-device `subDevice` (its product's
    /// model, `checksModels`): `code` the cloud's (or `timedOut`), `data` the reply's `data`
    /// JSON (empty if none; valid during the callback only; parse with `EnOSTSLModel`).
    case model(subDevice: Int, code: Int, data: UnsafeRawBufferPointer)

    /// The `code` of `subDeviceLoginFailed` when no reply came in time.
    public static let timedOut = -1
    /// The `code` of `subDeviceLoginFailed` when `maximumOnlineSubDevices` are online already
    /// (not sent; retried after `loginRetryMilliseconds`).
    public static let tooManyOnline = -2
}

/// What the cloud said about a sub-device in a `combine.*` notice (spec §4.7).
public enum EnOSSubDeviceNotice: UInt8, Equatable, Sendable {
    case enabled
    case disabled
    case deleted
}

/// The outcome of publishing a request.
public enum EnOSPublishResult: Equatable, Sendable {
    /// Handed to MQTT; the reply will come as `.reply(id:…)` or `.replyTimedOut(id:…)`.
    case sent(requestId: UInt32)
    /// The pending table or the MQTT store/output is full: try again after replies come in.
    case windowFull
    /// Not connected (or not yet subscribed): nothing was sent.
    case notConnected
    /// Larger than the packet limit, an empty message, or an encoding failure.
    case invalid
}

/// The outcome of sending a command reply.
public enum EnOSSendResult: Equatable, Sendable {
    case sent
    /// The MQTT output is full right now: try again after the next `handle`.
    case wouldBlock
    case notConnected
    /// The reply does not fit the control buffer, or the handle names an unknown device.
    case invalid
}
