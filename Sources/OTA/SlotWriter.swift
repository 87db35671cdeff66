import EdgeCore

/// Writes an image's payload sequentially into a slot device: the sink of a
/// `FirmwareImageReader` during an install.
public struct SlotWriter<Device: SlotDevice & ~Copyable>: FirmwarePayloadSink, ~Copyable {
    public var device: Device
    public private(set) var bytesWritten: UInt64 = 0

    public init(device: consuming Device) { self.device = device }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        try device.write(bytes, at: bytesWritten)
        bytesWritten += UInt64(bytes.count)
    }
}
