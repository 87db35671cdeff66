import EdgeCore

/// Where the payload of an image goes while it streams in: the inactive slot's writer, or a
/// discarding sink when only verifying. Chunks arrive in order, each exactly once.
public protocol FirmwarePayloadSink: ~Copyable {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(Errno)
}

/// Discards the payload (`ota verify`).
public struct DiscardingPayloadSink: FirmwarePayloadSink {
    public private(set) var bytesWritten: UInt64 = 0
    public init() {}
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) { bytesWritten += UInt64(bytes.count) }
}
