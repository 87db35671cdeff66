import EdgeCore
import FieldBus

/// Which stream a measurepoint request belongs to: live data (recorded while the uplink was up,
/// `measurepoint.post.batch`) or the backlog (`measurepoint.resume.batch`).
public enum BatchKind: Equatable, Sendable {
    case live
    case resume
}

/// What adding an entry to a request did (see `MeasurepointUplink.endEntry`).
public enum BatchEntryOutcome: Equatable, Sendable {
    case added
    /// Does not fit: the request is exactly as before the entry; send it and start another.
    case full
    /// Does not fit even into an empty request: it can never be sent as it is.
    case tooLarge
}

/// What the store-and-forward publisher needs from the cloud connection: build one measurepoint
/// request entry by entry (an entry is one device at one time with its points), then send it
/// under a tag; the acknowledgement (or failure) comes back later through the agent's loop as
/// `StoreAndForward.confirm/reject/retry(tag:)`. The EnOS gateway implements it for the real cloud;
/// tests implement it in memory. Generic, so no existential is needed.
public protocol MeasurepointUplink: ~Copyable {
    /// Connected, subscribed and ready for data requests.
    var isReady: Bool { get }
    /// True when field device `device` has a cloud identity at all.
    func hasCloudIdentity(device: Int) -> Bool
    /// Starts a request; false when none can be sent now (window full, not connected).
    mutating func beginBatch(_ kind: BatchKind) -> Bool
    /// Opens an entry for `device` at `time`.
    mutating func beginEntry(device: Int, time: WallTime)
    /// Adds a point of the open entry.
    mutating func addPoint(device: Int, point: Int, value: PointValue, quality: Quality)
    /// Closes the open entry (added whole or not at all).
    mutating func endEntry() -> BatchEntryOutcome
    /// Sends the request; false (and the request dropped) when it could not be handed over.
    mutating func sendBatch(tag: UInt64) -> Bool
    /// Drops the request being built.
    mutating func cancelBatch()
    /// Sends an alarm record (`AlarmRecord`: a raise or a clear) as its own request under `tag`
    /// (the EnOS uplink: the rule's TSL event on its device's topic); the acknowledgement comes
    /// back like a measurepoint request's. Uplinks without alarms drop them (the default).
    mutating func sendAlarm(_ record: UnsafeRawBufferPointer, tag: UInt64) -> AlarmSendOutcome
}
