import EdgeCore

/// When the ring log may forget a record: after the cloud's EnOS reply with code 200 (the
/// default), or after the broker's PUBACK (for a plain MQTT broker that sends no replies).
public enum AcknowledgementMode: Equatable, Sendable {
    case reply
    case puback
}

/// The `publishing` section: how samples leave the ring log. Live data (recorded while the uplink
/// is up) goes out on `measurepoint.post.batch` once appended, requests at least
/// `liveIntervalMilliseconds` apart (50 ms by default) while it fits one request, back to back as
/// the window allows beyond that; the backlog goes out on `resume.batch`, at most `resumeSamplesPerSecond`. A request
/// holds at most `batchSamples` samples and `maximumPayloadBytes` bytes; at most
/// `inFlightRequests` await their acknowledgement, each for at most `replyTimeoutMilliseconds`.
public struct PublishingSettings: Equatable, Sendable {
    public var batchSamples: Int
    public var liveIntervalMilliseconds: UInt64
    public var resumeSamplesPerSecond: Int
    public var maximumPayloadBytes: Int
    public var inFlightRequests: Int
    public var replyTimeoutMilliseconds: UInt64
    public var acknowledgement: AcknowledgementMode

    public init(batchSamples: Int = 200, liveIntervalMilliseconds: UInt64 = 50, resumeSamplesPerSecond: Int = 2_000,
                maximumPayloadBytes: Int = 64 * 1024, inFlightRequests: Int = 4, replyTimeoutMilliseconds: UInt64 = 30_000,
                acknowledgement: AcknowledgementMode = .reply) {
        self.batchSamples = batchSamples
        self.liveIntervalMilliseconds = liveIntervalMilliseconds
        self.resumeSamplesPerSecond = resumeSamplesPerSecond
        self.maximumPayloadBytes = maximumPayloadBytes
        self.inFlightRequests = inFlightRequests
        self.replyTimeoutMilliseconds = replyTimeoutMilliseconds
        self.acknowledgement = acknowledgement
    }

    static let keys = ["batchSamples", "liveIntervalMs", "resumeSamplesPerSecond", "maxPayloadBytes", "inFlightRequests",
                       "replyTimeoutMs", "ackMode"]

    static func decode(_ o: ConfigObject?, _ v: inout ConfigValidator) -> PublishingSettings? {
        guard let o else { return PublishingSettings() }
        let before = v.errors.count
        let batch = v.integer(in: o, "batchSamples", required: false, range: 1...10_000) ?? 200
        let live = v.integer(in: o, "liveIntervalMs", required: false, range: 0...3_600_000) ?? 50
        let rate = v.integer(in: o, "resumeSamplesPerSecond", required: false, range: 1...1_000_000) ?? 2_000
        let payload = v.byteCount(in: o, "maxPayloadBytes", required: false) ?? 64 * 1024
        if payload < 1024 || payload > 512 * 1024 - 1 {
            v.report("maxPayloadBytes \(payload) is outside 1 KiB...512 KiB - 1 (the EnOS limit)",
                     at: o.path.key("maxPayloadBytes"), o.member("maxPayloadBytes")?.value.location)
        }
        let window = v.integer(in: o, "inFlightRequests", required: false, range: 1...64) ?? 4
        let timeout = v.integer(in: o, "replyTimeoutMs", required: false, range: 100...600_000) ?? 30_000
        let mode = v.choice(in: o, "ackMode", required: false, ["reply", "puback"]) ?? "reply"
        guard v.errors.count == before else { return nil }
        return PublishingSettings(batchSamples: Int(batch), liveIntervalMilliseconds: UInt64(live),
                                  resumeSamplesPerSecond: Int(rate), maximumPayloadBytes: Int(payload),
                                  inFlightRequests: Int(window), replyTimeoutMilliseconds: UInt64(timeout),
                                  acknowledgement: mode == "puback" ? .puback : .reply)
    }
}
