import EdgeCore
import EnOS

/// A call of one of the gateway's configuration services (Sources/Configuration/BUNDLE.md,
/// "From the cloud") as the agent's loop receives it: its parameters copied out of the message
/// and checked for form, and what it takes to reply.
public struct ConfigurationServiceCall: Sendable {
    /// Which service: `thing.service.applyConfiguration` or `thing.service.getConfiguration`.
    public enum Kind: Sendable, Equatable {
        case apply
        case get
    }

    public var kind: Kind
    /// `.apply`: the bundle's bytes (decoded from the `bundle` parameter's base64); empty for a
    /// bundle by file reference.
    public var bundle: [UInt8]
    /// `.apply` by file reference: where to download the bundle (`fileUri`: http(s)://,
    /// `enos-connect://…` or a relative EnOS file path), its size in bytes (`size`), and
    /// optionally its digest (`sign`, hex) with the digest's method (`signMethod`, default md5,
    /// as an OTA order's). Empty `fileURI`: the bundle is inline.
    public var fileURI: String = ""
    public var size: UInt64 = 0
    public var sign: String? = nil
    public var signMethod: String = "md5"
    /// `.get`: the configuration file is wanted too (`"file": true`), its secrets masked.
    public var withFile: Bool
    /// Why the parameters are refused (nil: they are fine): the reply's code and message.
    public var refusal: (code: Int, message: String)?
    /// The call's reply handle (nil in tests without EnOS).
    public var replyHandle: EnOSReplyHandle?

    public init(kind: Kind, bundle: [UInt8] = [], withFile: Bool = false, refusal: (code: Int, message: String)? = nil,
                replyHandle: EnOSReplyHandle? = nil) {
        self.kind = kind
        self.bundle = bundle
        self.withFile = withFile
        self.refusal = refusal
        self.replyHandle = replyHandle
    }

    /// The service a gateway call's id names, or nil when it is not a configuration service.
    static func kind(of serviceId: UnsafeRawBufferPointer) -> Kind? {
        if EnOSEventSink.same(serviceId, "applyConfiguration") { return .apply }
        if EnOSEventSink.same(serviceId, "getConfiguration") { return .get }
        return nil
    }

    /// Reads the call's parameters (inside the gateway's callback, while its bytes are valid).
    static func decode(_ command: EnOSCommand, kind: Kind) -> ConfigurationServiceCall {
        var call = ConfigurationServiceCall(kind: kind, replyHandle: command.replyHandle)
        var bundle: EnOSReceivedValue? = nil
        var fileUri: EnOSReceivedValue? = nil
        var size: EnOSReceivedValue? = nil
        var sign: EnOSReceivedValue? = nil
        var signMethod: EnOSReceivedValue? = nil
        for parameter in command.parameters() {
            if parameter.name.equals("bundle") { bundle = parameter.value }
            else if parameter.name.equals("fileUri") { fileUri = parameter.value }
            else if parameter.name.equals("size") { size = parameter.value }
            else if parameter.name.equals("sign") { sign = parameter.value }
            else if parameter.name.equals("signMethod") { signMethod = parameter.value }
            else if parameter.name.equals("file"), case .bool(let b) = parameter.value { call.withFile = b }
        }
        guard kind == .apply else { return call }
        if bundle == nil, let fileUri {
            call.refusal = call.decodeReference(fileUri: fileUri, size: size, sign: sign, signMethod: signMethod)
            return call
        }
        guard let bundle else {
            call.refusal = (ConfigurationReplyCode.missingParameter,
                            "bundle: missing (the signed configuration bundle, base64; or fileUri and size to download it)")
            return call
        }
        guard case .text(let text) = bundle else {
            call.refusal = (ConfigurationReplyCode.badParameter, "bundle: not a string (the signed configuration bundle, base64)")
            return call
        }
        let encoded = Array(text.string.utf8)
        guard let bytes = encoded.withUnsafeBytes({ Base64.decode($0) }) else {
            call.refusal = (ConfigurationReplyCode.badParameter, "bundle: not base64")
            return call
        }
        call.bundle = bytes
        return call
    }

    /// The parameters of a bundle by file reference: `fileUri` (string) and `size` (positive
    /// integer) required, `sign` (hex string) and `signMethod` (string) optional. The refusal, or nil.
    mutating func decodeReference(fileUri: EnOSReceivedValue, size: EnOSReceivedValue?, sign: EnOSReceivedValue?,
                                  signMethod: EnOSReceivedValue?) -> (code: Int, message: String)? {
        guard case .text(let uri) = fileUri, !uri.string.isEmpty else {
            return (ConfigurationReplyCode.badParameter, "fileUri: not a non-empty string (an http(s):// URL, enos-connect:// URI or EnOS file path)")
        }
        fileURI = uri.string
        guard let size else {
            return (ConfigurationReplyCode.missingParameter, "size: missing (the bundle's size in bytes)")
        }
        guard case .integer(let bytes) = size, bytes > 0 else {
            return (ConfigurationReplyCode.badParameter, "size: not a positive integer (the bundle's size in bytes)")
        }
        self.size = UInt64(bytes)
        if let sign {
            guard case .text(let hex) = sign else { return (ConfigurationReplyCode.badParameter, "sign: not a string (the bundle's hex digest)") }
            self.sign = hex.string
        }
        if let signMethod {
            guard case .text(let method) = signMethod else {
                return (ConfigurationReplyCode.badParameter, "signMethod: not a string (md5, sha1 or sha256)")
            }
            self.signMethod = method.string
        }
        return nil
    }
}

/// The reply codes of the configuration services: 200 done, the SDKs' parameter codes for
/// malformed calls, and application codes (EnOS: >= 2000) for what the agent refused.
public enum ConfigurationReplyCode {
    public static let success = 200
    /// A parameter has the wrong type or form (as for configured services).
    public static let badParameter = 2004
    /// A required parameter is missing (as for configured services).
    public static let missingParameter = 2013
    /// The bundle is refused: not a bundle, unsigned, foreign key, tampered (the message says which).
    public static let bundleRefused = 2101
    /// The configuration it carries fails validation: every error, with its path, in the message.
    public static let configurationInvalid = 2102
    /// The configuration file could not be replaced (the old one stays).
    public static let writeFailed = 2103
    /// Another configuration is being applied, downloaded or tried (try again once it settled).
    public static let busy = 2104
    /// A bundle by file reference could not be fetched: the download failed (the cause in
    /// words), the file's size or digest is not the announced one, or its `size` is above the
    /// largest bundle (refused before downloading).
    public static let downloadFailed = 2105
}

/// Configuration service calls queued by `EnOSEventSink` inside the gateway's callback for the
/// agent's loop. Bounded: a call beyond `capacity` is answered busy by the uplink.
final class ConfigurationInbox {
    let capacity: Int
    var calls: [ConfigurationServiceCall] = []

    init(capacity: Int = 2) {
        self.capacity = capacity
        calls.reserveCapacity(capacity)
    }

    /// False when full (the caller answers it busy).
    func receive(_ command: EnOSCommand, kind: ConfigurationServiceCall.Kind) -> Bool {
        guard calls.count < capacity else { return false }
        calls.append(ConfigurationServiceCall.decode(command, kind: kind))
        return true
    }

    func pop() -> ConfigurationServiceCall? { calls.isEmpty ? nil : calls.removeFirst() }
}
