import EdgeCore
import EnOS
import MQTT

/// What a configuration service call answers with on success: the configuration running (or,
/// after an apply, installed), and for `getConfiguration` with `file`, the file's text with every
/// secret masked.
public struct ConfigurationCallResult: Sendable {
    public var version: String
    public var sha256: String
    /// After an apply: the version it replaced.
    public var previousVersion: String?
    /// `getConfiguration` with `"file": true`: the configuration file, secrets masked.
    public var file: String?
    /// The configuration trial's state since the start (`GatewayStatus.configTrial`), if any.
    public var trial: String?

    public init(version: String, sha256: String, previousVersion: String? = nil, file: String? = nil, trial: String? = nil) {
        self.trial = trial
        self.version = version
        self.sha256 = sha256
        self.previousVersion = previousVersion
        self.file = file
    }
}

/// The configuration side of the cloud connection: calls of the gateway's configuration services
/// in, one reply to each out. `EnOSUplink` is the real one.
public protocol ConfigurationUplink: ~Copyable {
    /// The next configuration service call received, oldest first.
    mutating func nextConfigurationCall() -> ConfigurationServiceCall?
    /// Answers `call`: `ConfigurationReplyCode.success` with `result` in `data`, else a code and why.
    mutating func replyToConfigurationCall(_ call: ConfigurationServiceCall, code: Int, message: String,
                                           result: ConfigurationCallResult?)
}

extension EnOSUplink: ConfigurationUplink where Transport: ~Copyable {
    public mutating func nextConfigurationCall() -> ConfigurationServiceCall? { sink.configurationInbox.pop() }

    public mutating func replyToConfigurationCall(_ call: ConfigurationServiceCall, code: Int, message: String,
                                                  result: ConfigurationCallResult?) {
        guard let handle = call.replyHandle else { return }
        let sink = self.sink
        guard let result else {
            _ = gateway.reply(to: handle, code: code, message: message, data: nil, onEvent: { sink.on($0) })
            return
        }
        _ = gateway.reply(to: handle, code: code, message: message, data: { (w: inout JSONWriter) throws(JSONWriterError) in
            try w.beginObject()
            try w.key("version")
            try w.value(result.version)
            try w.key("sha256")
            try w.value(result.sha256)
            if let previous = result.previousVersion {
                try w.key("previousVersion")
                try w.value(previous)
            }
            if let trial = result.trial {
                try w.key("trial")
                try w.value(trial)
            }
            if let file = result.file {
                try w.key("file")
                try w.value(file)
            }
            try w.endObject()
        }, onEvent: { sink.on($0) })
    }
}
