import Agent
import EdgeCore
import FieldBus
import RingLog
@testable import StoreForward

typealias MemoryStore = StoreAndForward<MemoryFlashDevice, ManualClock>

/// An in-memory cloud for store-and-forward tests: keeps every request it was handed (kind, tag,
/// entries) and lets the test decide which ones to confirm. Sized up front so that counting
/// allocations around it is fair.
struct FakeUplink: MeasurepointUplink {
    struct Entry: Equatable {
        var device: Int
        var time: Int64
        var points: [Int]
        var values: [Double]
    }

    struct Request {
        var kind: BatchKind
        var tag: UInt64
        var entries: [Entry]
    }

    var isReady = true
    var loggedIn: [Bool]
    var identities: [Bool]
    var maximumEntries = Int.max
    var windowOpen = true
    var requests: [Request] = []
    var building: [Entry] = []
    var current: Entry? = nil
    var kind = BatchKind.live
    /// When false, requests are counted but not kept (allocation tests).
    var keep = true
    var sentCount = 0
    var lastTag: UInt64 = 0

    init(devices: Int) {
        loggedIn = Array(repeating: true, count: devices)
        identities = Array(repeating: true, count: devices)
        requests.reserveCapacity(1024)
    }

    func isLoggedIn(device: Int) -> Bool { loggedIn[device] }
    func hasCloudIdentity(device: Int) -> Bool { identities[device] }

    mutating func beginBatch(_ kind: BatchKind) -> Bool {
        guard windowOpen else { return false }
        self.kind = kind
        if keep { building = [] }
        return true
    }

    mutating func beginEntry(device: Int, time: WallTime) {
        if keep { current = Entry(device: device, time: time.milliseconds, points: [], values: []) }
    }

    mutating func addPoint(device: Int, point: Int, value: PointValue, quality: Quality) {
        guard keep else { return }
        current?.points.append(point)
        current?.values.append(value.numeric ?? .nan)
    }

    mutating func endEntry() -> BatchEntryOutcome {
        guard keep else { return .added }
        guard building.count < maximumEntries else { current = nil; return .full }
        if let current { building.append(current) }
        current = nil
        return .added
    }

    mutating func sendBatch(tag: UInt64) -> Bool {
        sentCount += 1
        lastTag = tag
        if keep { requests.append(Request(kind: kind, tag: tag, entries: building)) }
        return true
    }

    mutating func cancelBatch() {
        if keep { building = [] }
    }

    /// Every (device, time, point, value) delivered in the given requests.
    static func samples(_ requests: [Request]) -> [(Int, Int64, Int, Double)] {
        var out: [(Int, Int64, Int, Double)] = []
        for r in requests {
            for e in r.entries {
                for (p, v) in zip(e.points, e.values) { out.append((e.device, e.time, p, v)) }
            }
        }
        return out
    }
}
