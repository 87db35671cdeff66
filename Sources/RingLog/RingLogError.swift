/// Why a ring-log operation failed, with a message that names the device and what was found.
/// Thrown with `throws(RingLogError)`; the message is built only when something fails.
public struct RingLogError: Error, Equatable {
    public enum Kind: Equatable, Sendable {
        /// The device failed (I/O error, power lost, flash rule broken).
        case flash(FlashError.Kind)
        /// The device's size or geometry differs from what the log on it was formatted with.
        case wrongGeometry
        /// The device holds something that is not a ring log: never wiped unless formatted.
        case foreignContent
        /// The log was written by a newer format version.
        case unsupportedVersion
        /// The options or geometry cannot make a log.
        case invalidConfiguration
        /// A record larger than `maximumPayload`.
        case recordTooLarge
        /// Full, and the policy is to refuse appends rather than drop unacknowledged records.
        case full
        /// The caller's buffer cannot hold the next record (the cursor did not move).
        case bufferTooSmall(needed: Int)
        /// `acknowledge(upTo:)` beyond the highest durable sequence number.
        case invalidAcknowledgement
        /// An earlier device failure left the log unusable until it is reopened.
        case failed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ flash: FlashError) {
        kind = .flash(flash.kind)
        message = flash.description
    }

    public var description: String { message }
}
