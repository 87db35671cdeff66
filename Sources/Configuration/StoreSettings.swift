import EdgeCore
import RingLog

/// The `ringLog` section: where the store-and-forward log lives, its geometry, its group commit
/// (sync every N ms or N bytes) and what happens when it is full. A file that does not exist is
/// created and formatted when `create` is true; a file with other content is never wiped.
public struct StoreSettings: Equatable, Sendable {
    public var path: String
    public var size: Int
    public var sectorSize: Int
    public var writeBufferBytes: Int
    public var syncIntervalMilliseconds: UInt64
    public var syncBytes: Int
    public var whenFull: FullPolicy
    public var checkpointEveryAcknowledgements: Int
    public var checkpointIntervalMilliseconds: UInt64
    public var create: Bool

    public init(path: String, size: Int, sectorSize: Int, writeBufferBytes: Int = 16 * 1024,
                syncIntervalMilliseconds: UInt64 = 100, syncBytes: Int = 0, whenFull: FullPolicy = .dropOldest,
                checkpointEveryAcknowledgements: Int = 64, checkpointIntervalMilliseconds: UInt64 = 5_000, create: Bool = true) {
        self.path = path
        self.size = size
        self.sectorSize = sectorSize
        self.writeBufferBytes = writeBufferBytes
        self.syncIntervalMilliseconds = syncIntervalMilliseconds
        self.syncBytes = syncBytes
        self.whenFull = whenFull
        self.checkpointEveryAcknowledgements = checkpointEveryAcknowledgements
        self.checkpointIntervalMilliseconds = checkpointIntervalMilliseconds
        self.create = create
    }

    /// The ring log's options from these settings.
    public var options: RingLogOptions {
        var o = RingLogOptions()
        o.writeBufferSize = writeBufferBytes
        o.syncIntervalMilliseconds = syncIntervalMilliseconds
        o.syncBytes = syncBytes
        o.whenFull = whenFull
        o.checkpointEveryAcknowledgements = checkpointEveryAcknowledgements
        o.checkpointIntervalMilliseconds = checkpointIntervalMilliseconds
        return o
    }

    static let keys = ["path", "size", "sectorSize", "writeBuffer", "syncIntervalMs", "syncBytes", "whenFull",
                       "checkpointEveryAcks", "checkpointIntervalMs", "create"]

    static func decode(_ o: ConfigObject, _ v: inout ConfigValidator) -> StoreSettings? {
        let before = v.errors.count
        let path = v.string(in: o, "path")
        let size = v.byteCount(in: o, "size")
        let sector = v.byteCount(in: o, "sectorSize", required: false) ?? 64 * 1024
        let buffer = v.byteCount(in: o, "writeBuffer", required: false) ?? 16 * 1024
        let syncMs = v.integer(in: o, "syncIntervalMs", required: false, range: 0...60_000) ?? 100
        let syncBytes = v.byteCount(in: o, "syncBytes", required: false) ?? 0
        let full = v.choice(in: o, "whenFull", required: false, ["dropOldest", "refuseAppends"]) ?? "dropOldest"
        let every = v.integer(in: o, "checkpointEveryAcks", required: false, range: 1...1_000_000) ?? 64
        let checkpointMs = v.integer(in: o, "checkpointIntervalMs", required: false, range: 0...3_600_000) ?? 5_000
        let create = v.bool(in: o, "create", required: false) ?? true
        if let size, let m = o.member("size") {
            if size > 1 << 40 {
                v.report("size \(size) is too large", at: o.path.key("size"), m.value.location)
            } else if sector >= 256, sector <= size, size % sector != 0 {
                v.report("size \(size) is not a multiple of sectorSize \(sector)", at: o.path.key("size"), m.value.location)
            } else if sector >= 256, size / sector < 2 {
                v.report("size \(size) holds fewer than 2 sectors of \(sector) bytes", at: o.path.key("size"), m.value.location)
            } else if sector >= 256, size / sector > UInt64(UInt32.max) {
                v.report("size \(size) holds \(size / sector) sectors of \(sector) bytes, more than the ring log's \(UInt32.max); use larger sectors",
                         at: o.path.key("size"), m.value.location)
            }
        }
        if let size, syncBytes > size, let m = o.member("syncBytes") {
            v.report("syncBytes \(syncBytes) is larger than the ring log (size \(size)): it would never be reached", at: o.path.key("syncBytes"), m.value.location)
        }
        if sector < 256 || sector > 1 << 30 {
            v.report("sectorSize \(sector) is outside 256 bytes...1 GiB", at: o.path.key("sectorSize"), o.member("sectorSize")?.value.location)
        }
        if buffer < 256 || buffer > 16 << 20 {
            v.report("writeBuffer \(buffer) is outside 256 bytes...16 MiB", at: o.path.key("writeBuffer"), o.member("writeBuffer")?.value.location)
        }
        guard v.errors.count == before, let path, let size else { return nil }
        return StoreSettings(path: path, size: Int(size), sectorSize: Int(sector), writeBufferBytes: Int(buffer),
                             syncIntervalMilliseconds: UInt64(syncMs), syncBytes: Int(syncBytes),
                             whenFull: full == "refuseAppends" ? .refuseAppends : .dropOldest,
                             checkpointEveryAcknowledgements: Int(every), checkpointIntervalMilliseconds: UInt64(checkpointMs),
                             create: create)
    }
}
