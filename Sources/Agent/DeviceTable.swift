import EdgeCore
import FieldBus

/// What the agent knows of each field device now: online or not, and the latest value, quality
/// and time of every point (for `measurepoint.get`, the console's `points`, and status). Flat
/// arrays sized from the configuration at start-up; updates allocate nothing.
public struct DeviceTable: Sendable {
    public let offsets: [Int]
    public private(set) var online: [Bool]
    public private(set) var values: [PointValue]
    public private(set) var qualities: [Quality]
    /// Wall time of the latest sample (0: none yet).
    public private(set) var times: [Int64]

    public init(_ fieldBus: FieldBusConfiguration) {
        var offsets: [Int] = []
        var total = 0
        for d in fieldBus.devices {
            offsets.append(total)
            total += fieldBus.templates[d.template].points.count
        }
        self.offsets = offsets
        online = [Bool](repeating: true, count: fieldBus.devices.count)
        values = [PointValue](repeating: .bool(false), count: total)
        qualities = [Quality](repeating: .offline, count: total)
        times = [Int64](repeating: 0, count: total)
    }

    public mutating func record(_ sample: Sample) {
        guard sample.device >= 0, sample.device < offsets.count else { return }
        let i = offsets[sample.device] + sample.point
        guard i < values.count else { return }
        values[i] = sample.value
        qualities[i] = sample.quality
        times[i] = sample.time.milliseconds
    }

    public mutating func setOnline(_ device: Int, _ state: Bool) {
        guard device >= 0, device < online.count else { return }
        online[device] = state
    }

    /// Copies the state of `other` (same configuration) element by element, into this storage:
    /// nothing allocated when it is not shared (the console's snapshot).
    public mutating func copy(from other: DeviceTable) {
        var i = 0
        while i < online.count && i < other.online.count {
            online[i] = other.online[i]
            i += 1
        }
        i = 0
        while i < values.count && i < other.values.count {
            values[i] = other.values[i]
            qualities[i] = other.qualities[i]
            times[i] = other.times[i]
            i += 1
        }
    }

    /// The latest reading of a point: value, quality, time (nil: none yet).
    public func latest(device: Int, point: Int) -> (value: PointValue, quality: Quality, time: WallTime)? {
        guard device >= 0, device < offsets.count else { return nil }
        let i = offsets[device] + point
        guard i < values.count, times[i] != 0 else { return nil }
        return (values[i], qualities[i], WallTime(milliseconds: times[i]))
    }

    public var onlineCount: Int {
        var n = 0
        for i in online.indices where online[i] { n += 1 }
        return n
    }
}
