import EdgeCore

/// Builds one measurepoint message incrementally in a caller buffer: `thing.measurepoint.post` /
/// `resume` (one device, one timestamp: the device in the topic) or `post.batch` / `resume.batch`
/// (entries per device and timestamp, each with `productKey`/`deviceKey` unless it is the topic's
/// own device). Spec §5.2–5.4.
///
/// Guarantees: never allocates; the document never exceeds `maximumBytes` and stays below
/// 512 KiB whatever is asked (EnOS refuses a payload of 512 KiB or more: the SDKs check
/// `>= 512 * 1024`, the broker answers 1008); an entry is added whole or not at all — when the next entry does not fit,
/// `endEntry()` returns `.full` and the message is exactly as before that entry, so the caller
/// sends it and starts the next message with that entry (`.tooLarge` if the entry alone cannot fit
/// an empty message). Values with a quality are written `{"value":v,"quality":q}`; NaN and
/// infinities are left out (counted in `skippedValues`: JSON has no such numbers).
public struct EnOSMeasurepointMessage {
    /// The EnOS payload limit (spec §2.6): a payload must be smaller than this.
    public static let enosLimitBytes = 512 * 1024
    /// The largest payload EnOS accepts, and the default maximum.
    public static let defaultMaximumBytes = enosLimitBytes - 1

    /// What `endEntry()` did.
    public enum EntryOutcome: Equatable, Sendable {
        case added
        /// The entry does not fit: not added; send this message and start a new one.
        case full
        /// The entry does not fit even into an empty message: it can never be sent as it is.
        case tooLarge
        /// `endEntry()` without `beginEntry()`, or a second entry in a single-device message.
        case misuse
    }

    public let kind: EnOSRequestKind
    public let requestId: UInt32
    /// Entries added so far.
    public private(set) var entryCount = 0
    /// Points written so far (in added entries and the open one).
    public private(set) var pointCount = 0
    /// NaN/infinite values left out.
    public private(set) var skippedValues = 0

    var writer: JSONWriter
    var saved: JSONWriter
    var savedPoints = 0
    var entryOpen = false
    var entryFailed = false
    var entryTime: Int64 = 0
    var finished = false
    let buffer: UnsafeMutableRawBufferPointer
    var isBatch: Bool { kind == .measurepointPostBatch || kind == .measurepointResumeBatch }

    /// Starts the message: envelope with `requestId`, and for batches the two flags. `kind` must
    /// be one of the four measurepoint kinds. Throws `bufferFull` if not even the envelope fits.
    public init(kind: EnOSRequestKind, requestId: UInt32, buffer: UnsafeMutableRawBufferPointer,
                maximumBytes: Int = EnOSMeasurepointMessage.defaultMaximumBytes,
                allowOfflineSubDevice: Bool = false, skipInvalidMeasurepoints: Bool = false) throws(JSONWriterError) {
        precondition(kind.isMeasurepoints, "EnOSMeasurepointMessage: not a measurepoint kind")
        self.kind = kind
        self.requestId = requestId
        self.buffer = buffer
        let limit = max(0, min(buffer.count, maximumBytes, Self.defaultMaximumBytes) - 2)   // room for the closing "]}" / "}"
        writer = JSONWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<limit]))
        saved = writer
        try EnOSRequestEncoder.beginRequest(&writer, id: requestId, method: kind.method)
        if kind == .measurepointPostBatch || kind == .measurepointResumeBatch {
            try writer.key("allowOfflineSubDevice")
            try writer.value(allowOfflineSubDevice)
            try writer.key("skipInvalidMeasurepoints")
            try writer.value(skipInvalidMeasurepoints)
            try writer.key("params")
            try writer.beginArray()
        } else {
            try writer.key("params")
        }
        saved = writer
    }

    /// Opens an entry: the device (nil keys: the topic's device; required nil for single-device
    /// messages) and the sampling time in epoch milliseconds. False if it already does not fit
    /// (keep going: `endEntry()` reports the outcome).
    @discardableResult
    public mutating func beginEntry(productKey: String? = nil, deviceKey: String? = nil, timeMilliseconds: Int64) -> Bool {
        guard !entryOpen, !finished else { entryFailed = true; entryOpen = true; return false }
        saved = writer
        savedPoints = pointCount
        entryOpen = true
        entryFailed = false
        entryTime = timeMilliseconds
        if !isBatch && (entryCount > 0 || productKey != nil || deviceKey != nil) { entryFailed = true; return false }
        do throws(JSONWriterError) {
            try writer.beginObject()
            if let productKey, let deviceKey {
                try writer.key("productKey")
                try writer.value(productKey)
                try writer.key("deviceKey")
                try writer.value(deviceKey)
            }
            try writer.key("measurepoints")
            try writer.beginObject()
        } catch {
            entryFailed = true
        }
        return !entryFailed
    }

    /// Adds one point to the open entry. False once the entry no longer fits.
    @discardableResult
    public mutating func addPoint(_ pointId: String, _ value: EnOSValue, quality: Int? = nil) -> Bool {
        guard entryOpen, !entryFailed else { entryFailed = true; return false }
        let before = writer
        do throws(JSONWriterError) {
            try writer.key(pointId)
            try value.write(to: &writer, quality: quality)
            pointCount += 1
        } catch {
            writer = before
            if error == .nonFiniteNumber { skippedValues += 1; return true }
            entryFailed = true
        }
        return !entryFailed
    }

    /// `addPoint` with the point id as UTF-8 bytes.
    @discardableResult
    public mutating func addPoint(idBytes: UnsafeRawBufferPointer, _ value: EnOSValue, quality: Int? = nil) -> Bool {
        guard entryOpen, !entryFailed else { entryFailed = true; return false }
        let before = writer
        do throws(JSONWriterError) {
            try writer.key(bytes: idBytes)
            try value.write(to: &writer, quality: quality)
            pointCount += 1
        } catch {
            writer = before
            if error == .nonFiniteNumber { skippedValues += 1; return true }
            entryFailed = true
        }
        return !entryFailed
    }

    /// Closes the open entry: added whole, or rolled back (see `EntryOutcome`).
    public mutating func endEntry() -> EntryOutcome {
        guard entryOpen else { return .misuse }
        entryOpen = false
        if !entryFailed {
            do throws(JSONWriterError) {
                try writer.endObject()
                try writer.key("time")
                try writer.value(entryTime)
                try writer.endObject()
                entryCount += 1
                return .added
            } catch {
                entryFailed = true
            }
        }
        writer = saved
        pointCount = savedPoints
        if !isBatch && (entryCount > 0) { return .misuse }
        return entryCount == 0 ? .tooLarge : .full
    }

    /// Drops the open entry.
    public mutating func cancelEntry() {
        guard entryOpen else { return }
        entryOpen = false
        writer = saved
        pointCount = savedPoints
    }

    /// Closes the document and returns it (nil if it has no entry or an entry is open). The
    /// bytes stay valid while the caller's buffer does.
    public mutating func finish() -> UnsafeRawBufferPointer? {
        guard !entryOpen, entryCount > 0 else { return nil }
        if !finished {
            var n = writer.count
            if isBatch {
                buffer[n] = UInt8(ascii: "]"); n += 1
            }
            buffer[n] = UInt8(ascii: "}"); n += 1
            finishedCount = n
            finished = true
        }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<finishedCount])
    }

    var finishedCount = 0

    /// Bytes written so far (without the closing brackets).
    public var byteCount: Int { writer.count }
}
