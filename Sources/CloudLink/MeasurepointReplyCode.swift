import EnOS

/// What a cloud reply code to a measurepoint request (`post.batch`, `resume.batch`) means for its
/// samples, per the EnOS return-code tables (spec §5.3, §11):
/// - `done`: 200, delivered.
/// - `permanent`: the content can never be accepted as sent (format, size, model validation,
///   envelope): resending the same bytes cannot succeed. The samples leave the ring log by the
///   counted rule `StoreAndForwardStats.requestsRejected`.
/// - `retryLater`: everything else, the device-state codes (705 no such sub-device, 723
///   disabled, 740 not in the topology, 1009 no write permission, 1212 not logged in, 1257 not
///   found) and any code the docs do not list. The state may change (an operator enables the
///   device, adds the topology, the login goes through), so the samples are kept and sent again
///   after a growing delay (`StoreAndForward.retry`), never at full speed in a loop.
public enum MeasurepointReplyCode {
    public enum Outcome: Equatable {
        case done
        case retryLater
        case permanent
    }

    public static func classify(_ code: Int) -> Outcome {
        switch code {
        case EnOSReplyCode.success: return .done
        case EnOSReplyCode.messageTooLarge, 1200, EnOSReplyCode.modelValidateFailed, 1206,
             EnOSReplyCode.payloadFormatError, EnOSReplyCode.payloadEmpty, EnOSReplyCode.methodsNotConsistent:
            return .permanent
        default: return .retryLater
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
