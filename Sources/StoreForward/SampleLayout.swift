import FieldBus
import Configuration

/// The device and point table a configuration gives the samples in the ring log: for each device
/// index its name, its cloud identity (productKey/deviceKey, or none) and its template's point
/// identifiers, in order. Records carry its 32-bit `fingerprint` (FNV-1a over that table), so a
/// record written under another configuration is never read with this one's indices.
public struct SampleLayout: Equatable, Sendable {
    public let fingerprint: UInt32
    /// Per device: its name and cloud identity ("" when it has none), joined by "\u{1}".
    let devices: [String]
    /// Per device: its points' identifiers.
    let points: [[String]]

    public init(fieldBus: FieldBusConfiguration, subDevices: [SubDeviceCredentials]) {
        var identities = [String](repeating: "", count: fieldBus.devices.count)
        for s in subDevices where s.device >= 0 && s.device < identities.count {
            identities[s.device] = s.credentials.productKey + "/" + s.credentials.deviceKey
        }
        var devices: [String] = []
        var points: [[String]] = []
        var hash = FNV1a32()
        for (i, d) in fieldBus.devices.enumerated() {
            let key = d.name + "\u{1}" + identities[i]
            devices.append(key)
            hash.add(key)
            hash.add("\u{2}")
            var ids: [String] = []
            if d.template >= 0 && d.template < fieldBus.templates.count {
                for p in fieldBus.templates[d.template].points {
                    ids.append(p.identifier)
                    hash.add(p.identifier)
                    hash.add("\u{3}")
                }
            }
            points.append(ids)
            hash.add("\u{4}")
        }
        self.devices = devices
        self.points = points
        fingerprint = hash.value
    }

    public init(_ config: AgentConfiguration) {
        self.init(fieldBus: config.fieldBus, subDevices: config.cloud.subDevices)
    }

    public var deviceCount: Int { devices.count }

    /// Points of device `device`.
    public func pointCount(device: Int) -> Int { points[device].count }
}

/// FNV-1a, 32 bits: a small, stable hash for layout fingerprints (not for security).
struct FNV1a32 {
    var value: UInt32 = 0x811C_9DC5

    mutating func add(_ text: String) {
        for b in text.utf8 {
            value ^= UInt32(b)
            value = value &* 0x0100_0193
        }
    }
}

/// How the samples in the ring log read under the running configuration: records of its own
/// layout as they are; records of an earlier layout of this process (before a SIGHUP reload)
/// through a map from their (device, point) to the running one's, by device name, cloud identity
/// and point identifier; anything else (a device or point that is gone or changed identity, a
/// layout not known here, e.g. after a restart with a different file, an index out of range) is
/// not sent, and counted by the caller. So a backlog is either posted under its own device and
/// point or dropped and counted, never misattributed, never a trap. Maps are built at start-up
/// and at reloads; `translate` allocates nothing.
public struct SampleTranslation: Sendable {
    /// A map from one earlier layout to the running one.
    struct Map: Sendable {
        var fingerprint: UInt32
        /// New device index per old device (-1: gone).
        var device: [Int32]
        /// Where each old device's points start in `point`.
        var pointStart: [Int32]
        /// New point index per old (device, point) (-1: gone).
        var point: [Int32]
    }

    /// Earlier layouts remembered across reloads (the oldest are forgotten first).
    public static let rememberedLayouts = 4

    public let layout: SampleLayout
    var maps: [Map] = []

    public init(layout: SampleLayout) {
        self.layout = layout
    }

    /// The translation after a reload from `previous` (whose maps are carried over, composed) to
    /// `layout`.
    public init(layout: SampleLayout, after previous: SampleTranslation) {
        self.layout = layout
        guard previous.layout.fingerprint != layout.fingerprint else {
            maps = previous.maps
            return
        }
        let step = Self.map(from: previous.layout, to: layout)
        var maps = [step]
        for older in previous.maps where older.fingerprint != layout.fingerprint {
            if maps.count >= Self.rememberedLayouts { break }
            maps.append(Self.compose(older, step))
        }
        self.maps = maps
    }

    /// The running configuration's (device, point) for a sample stored as (`device`, `point`)
    /// under layout `fingerprint` (nil: a record without one); nil when it has none.
    public func translate(layout fingerprint: UInt32?, device: Int, point: Int) -> (device: Int, point: Int)? {
        guard let fingerprint else {
            // A version-1 record (before records carried a layout, i.e. written by an older
            // release): read with the running layout's indices when they are in range.
            return inRange(device, point) ? (device, point) : nil
        }
        if fingerprint == layout.fingerprint {
            return inRange(device, point) ? (device, point) : nil
        }
        var i = 0
        while i < maps.count {
            let m = maps[i]
            i += 1
            guard m.fingerprint == fingerprint else { continue }
            guard device >= 0, device < m.device.count else { return nil }
            let d = Int(m.device[device])
            let start = Int(m.pointStart[device])
            let end = device + 1 < m.pointStart.count ? Int(m.pointStart[device + 1]) : m.point.count
            guard d >= 0, point >= 0, start + point < end else { return nil }
            let p = Int(m.point[start + point])
            return p >= 0 && inRange(d, p) ? (d, p) : nil
        }
        return nil
    }

    func inRange(_ device: Int, _ point: Int) -> Bool {
        device >= 0 && device < layout.devices.count && point >= 0 && point < layout.points[device].count
    }

    static func map(from old: SampleLayout, to new: SampleLayout) -> Map {
        var device: [Int32] = []
        var pointStart: [Int32] = []
        var point: [Int32] = []
        for (i, key) in old.devices.enumerated() {
            var target = -1
            for (j, other) in new.devices.enumerated() where other == key { target = j; break }
            device.append(Int32(target))
            pointStart.append(Int32(point.count))
            for id in old.points[i] {
                var p = -1
                if target >= 0 {
                    for (k, other) in new.points[target].enumerated() where other == id { p = k; break }
                }
                point.append(Int32(p))
            }
        }
        return Map(fingerprint: old.fingerprint, device: device, pointStart: pointStart, point: point)
    }

    /// `first` (A -> B) followed by `second` (B -> C): A -> C.
    static func compose(_ first: Map, _ second: Map) -> Map {
        var out = first
        for d in 0..<first.device.count {
            let b = Int(first.device[d])
            let c = b >= 0 && b < second.device.count ? Int(second.device[b]) : -1
            out.device[d] = Int32(c)
            let start = Int(first.pointStart[d])
            let end = d + 1 < first.pointStart.count ? Int(first.pointStart[d + 1]) : first.point.count
            for k in start..<end {
                let bp = Int(first.point[k])
                var cp = -1
                if c >= 0 && bp >= 0 {
                    let bStart = Int(second.pointStart[b])
                    let bEnd = b + 1 < second.pointStart.count ? Int(second.pointStart[b + 1]) : second.point.count
                    if bStart + bp < bEnd { cp = Int(second.point[bStart + bp]) }
                }
                out.point[k] = Int32(cp)
            }
        }
        return out
    }
}
