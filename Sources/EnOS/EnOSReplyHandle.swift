/// What it takes to reply to a cloud command after the command's buffer is gone: the device, the
/// command kind, the service id (for `thing.service.{id}`) and the command's id, copied into fixed
/// inline storage. A small value the agent keeps until the command is done (e.g. a field write).
public struct EnOSReplyHandle: Sendable {
    public static let maximumIdBytes = 64
    public static let maximumServiceIdBytes = 64

    public var device: EnOSDeviceReference
    public var kind: EnOSCommandKind
    var idBytes: InlineArray<64, UInt8> = InlineArray(repeating: 0)
    var idCount = 0
    var serviceBytes: InlineArray<64, UInt8> = InlineArray(repeating: 0)
    var serviceCount = 0

    /// nil if the id or the service id is longer than 64 bytes.
    public init?(device: EnOSDeviceReference, kind: EnOSCommandKind, id: EnOSText, serviceId: UnsafeRawBufferPointer) {
        self.device = device
        self.kind = kind
        guard serviceId.count <= Self.maximumServiceIdBytes else { return nil }
        var ok = true
        withUnsafeMutableBytes(of: &idBytes) { raw in
            if let n = id.copy(into: raw) { idCount = n } else { ok = false }
        }
        guard ok else { return nil }
        var i = 0
        for b in serviceId {
            serviceBytes[i] = b
            i += 1
        }
        serviceCount = i
    }

    /// The command id (unescaped UTF-8), valid during `body`.
    public func withId<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = idBytes
        let n = idCount
        return withUnsafeMutableBytes(of: &copy) { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// The service id (empty unless `kind == .service`), valid during `body`.
    public func withServiceId<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = serviceBytes
        let n = serviceCount
        return withUnsafeMutableBytes(of: &copy) { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }

    /// The id as a String (for logs and tests; allocates).
    public var id: String { withId { String(decoding: $0, as: UTF8.self) } }
}
