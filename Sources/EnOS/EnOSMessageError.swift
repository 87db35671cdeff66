import EdgeCore

/// The fields named in decode errors.
public enum EnOSField: UInt8, Equatable, Sendable {
    case document, id, method, params, code, message, data
    case value, pointId, version, sign, signMethod, fileUrl, fileSize, productKey, deviceKey
    case loginedSubDevices, failedSubDevices

    public var name: String {
        switch self {
        case .document: return "the message"
        case .id: return "id"
        case .method: return "method"
        case .params: return "params"
        case .code: return "code"
        case .message: return "message"
        case .data: return "data"
        case .value: return "a parameter value"
        case .pointId: return "a point id"
        case .version: return "params.version"
        case .sign: return "params.sign"
        case .signMethod: return "params.signMethod"
        case .fileUrl: return "params.fileUrl"
        case .fileSize: return "params.fileSize"
        case .productKey: return "productKey"
        case .deviceKey: return "deviceKey"
        case .loginedSubDevices: return "data.loginedSubDevices"
        case .failedSubDevices: return "data.failedSubDevices"
        }
    }
}

/// Why a message from the cloud was refused, with the EnOS reply code it maps to (spec §11, §6.4):
/// empty payload 1251, bad JSON / missing fields / wrong types 1220, method not matching the topic
/// 1260, unknown command 1101. A plain value: throwing it never allocates; `description` builds
/// the text when asked.
public struct EnOSMessageError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        case emptyPayload
        case malformedJSON(JSONError)
        /// A required field is absent.
        case missing(EnOSField)
        /// A field has the wrong JSON type (`expected` names what was wanted).
        case wrongType(EnOSField, expected: Expected)
        /// The envelope's method is not the one of the topic.
        case methodMismatch
        /// A topic this layer does not handle (or a device it does not know).
        case unknownCommand
        /// The id is longer than `EnOSReplyHandle.maximumIdBytes` (no reply can echo it).
        case idTooLong
    }

    public enum Expected: Equatable, Sendable {
        case string, number, integer, object, array, arrayOfStrings, scalar, nonNegativeInteger
        var text: String {
            switch self {
            case .string: return "a string"
            case .number: return "a number"
            case .integer: return "an integer"
            case .object: return "an object"
            case .array: return "an array"
            case .arrayOfStrings: return "an array of strings"
            case .scalar: return "a number, boolean, string, object or array"
            case .nonNegativeInteger: return "a non-negative integer"
            }
        }
    }

    public var problem: Problem
    /// The command's id if it was read before the problem (to address the error reply).
    public var idToken: JSONToken?

    public init(_ problem: Problem, idToken: JSONToken? = nil) {
        self.problem = problem
        self.idToken = idToken
    }

    /// The EnOS reply code for this problem.
    public var code: Int {
        switch problem {
        case .emptyPayload: return EnOSReplyCode.payloadEmpty
        case .malformedJSON, .missing, .wrongType, .idTooLong: return EnOSReplyCode.payloadFormatError
        case .methodMismatch: return EnOSReplyCode.methodsNotConsistent
        case .unknownCommand: return EnOSReplyCode.handlerNotFound
        }
    }

    /// The reply's message text.
    public var description: String {
        switch problem {
        case .emptyPayload: return "Payload is empty"
        case .malformedJSON(let e): return "Payload format error: " + e.description
        case .missing(let f): return "Payload format error: " + f.name + " is missing"
        case .wrongType(let f, let expected): return "Payload format error: " + f.name + " must be " + expected.text
        case .methodMismatch: return "Methods not consistent"
        case .unknownCommand: return "Downstream command handler not found"
        case .idTooLong: return "Payload format error: id longer than 64 bytes"
        }
    }
}

/// EnOS reply codes used by this layer (spec §11).
public enum EnOSReplyCode {
    public static let success = 200
    public static let handlerNotFound = 1101
    public static let handlerFailed = 1102
    public static let payloadFormatError = 1220
    public static let payloadEmpty = 1251
    public static let methodsNotConsistent = 1260
    public static let messageTooLarge = 1008
    public static let noSubDevicePermission = 1212
    public static let modelValidateFailed = 1204
    public static let signCheckFailed = 742
    public static let deviceDisabled = 723
    /// `combine.login`: the sub-device is not in the gateway's topology.
    public static let notInTopology = 740
    /// `thing.topo.add` refused (not a gateway, sub-device missing or attached elsewhere…).
    public static let addTopologyFailed = 1255
    /// Application-defined failures start here (spec §6.4).
    public static let applicationBase = 2000
}
