import EnOS

/// What a cloud reply code to a measurepoint request (`post.batch`, `resume.batch`) means for its
/// samples, per the EnOS return-code tables (spec §5.3, §11):
/// - `done`: 200, delivered.
/// - `permanent`: the content can never be accepted as sent (format, size, model validation,
///   envelope): resending the same bytes cannot succeed. The samples leave the ring log by the
///   counted rule `StoreAndForwardStats.requestsRejected`.
/// - `deviceRefused`: a code about one sub-device (705 no such sub-device, 723 disabled, 740 not
///   in the topology, 1009 no write permission, 1212 not logged in, 1257 not found). EnOS answers
///   a batch with the first error it meets, all or nothing, so one device would hold every
///   device's data: the device is found (named in the reply's message, or by one round split by
///   device) and its samples are left out, counted, while the others flow on
///   (`StoreAndForward.deviceRefused`). If every device is refused alike (a 1009 for the topic,
///   say), it is not one device's fault: kept and retried like `retryLater`.
/// - `retryLater`: everything else, any code the docs do not list. The state may change, so the
///   samples are kept and sent again after a growing delay (`StoreAndForward.retry`), never at
///   full speed in a loop.
public enum MeasurepointReplyCode {
    public enum Outcome: Equatable {
        case done
        case retryLater
        case permanent
        case deviceRefused
    }

    public static func classify(_ code: Int) -> Outcome {
        switch code {
        case EnOSReplyCode.success: return .done
        case EnOSReplyCode.messageTooLarge, 1200, EnOSReplyCode.modelValidateFailed, 1206,
             EnOSReplyCode.payloadFormatError, EnOSReplyCode.payloadEmpty, EnOSReplyCode.methodsNotConsistent:
            return .permanent
        case 705, EnOSReplyCode.deviceDisabled, 740, 1009, EnOSReplyCode.noSubDevicePermission, 1257:
            return .deviceRefused
        default: return .retryLater
        }
    }

    /// What a device refused with `code` means for its samples, in words for the log.
    public static func describeDeviceRefusal(_ code: Int) -> String {
        switch code {
        case 705: return "the cloud has no such sub-device (code 705)"
        case EnOSReplyCode.deviceDisabled: return "the sub-device is disabled in the cloud (code 723)"
        case 740: return "the sub-device does not belong to this gateway's topology (code 740)"
        case 1009: return "no permission to publish for this sub-device (code 1009)"
        case EnOSReplyCode.noSubDevicePermission: return "no sub-device permission (code 1212: not logged in)"
        case 1257: return "the cloud does not find the device (code 1257)"
        default: return "code \(code)"
        }
    }

    /// The code in words, for the once-per-code log line.
    public static func describe(_ code: Int) -> String {
        switch code {
        case 705: return "code 705: the cloud has no such sub-device"
        case EnOSReplyCode.deviceDisabled: return "code 723: a sub-device is disabled in the cloud"
        case 740: return "code 740: a sub-device does not belong to this gateway (topology)"
        case 1009: return "code 1009: no permission to publish (topic not allowed, or a sub-device not logged in)"
        case EnOSReplyCode.noSubDevicePermission: return "code 1212: no sub-device permission (a sub-device not logged in)"
        case 1257: return "code 1257: device not found"
        case EnOSReplyCode.messageTooLarge: return "code 1008: message too large"
        case 1200: return "code 1200: parse error"
        case EnOSReplyCode.modelValidateFailed: return "code 1204: model validation failed (a value does not match the product's model)"
        case 1206: return "code 1206: measurepoint data format error"
        case EnOSReplyCode.payloadFormatError: return "code 1220: payload format error"
        case EnOSReplyCode.payloadEmpty: return "code 1251: payload is empty"
        case EnOSReplyCode.methodsNotConsistent: return "code 1260: method does not match the topic"
        default: return "code \(code): not a documented reply to measurepoint requests"
        }
    }
}

/// The reply codes already logged, so that each is said once per run (not once per request);
/// fixed capacity, sized at start-up: the steady state allocates nothing. Beyond the capacity,
/// new codes are not logged any more (they are still counted by the data path).
public struct ReplyCodeLog {
    var codes: [Int]
    var count = 0

    public init(capacity: Int = 32) {
        codes = [Int](repeating: 0, count: capacity)
    }

    /// True the first time `code` is seen (and there is room to remember it).
    public mutating func firstTime(_ code: Int) -> Bool {
        for i in 0..<count where codes[i] == code { return false }
        guard count < codes.count else { return false }
        codes[count] = code
        count += 1
        return true
    }
}
