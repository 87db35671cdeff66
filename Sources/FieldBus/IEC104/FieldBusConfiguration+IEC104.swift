import EdgeCore
import IEC104

extension FieldBusConfiguration {
    static let iec104LinkKeys = ["k", "w", "t0Ms", "t1Ms", "t2Ms", "t3Ms", "interrogationIntervalS",
                                 "counterInterrogationIntervalS", "originator", "clockSyncIntervalMs"]
    static let iec104PointKeys = ["id", "ioa", "type", "scale", "offset", "writable", "select", "commandIoa", "min", "max"]

    /// The `"iec104"` object of a bus (every member optional, the standard's defaults): k, w,
    /// T0-T3 in milliseconds, the general and counter interrogation periods in seconds (0: at
    /// start only / never), the originator address, the clock synchronisation period in
    /// milliseconds (absent: none; else at start and then on that period). Reported on a bus of another protocol.
    static func decodeIEC104Link(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator, onIEC104: Bool) -> LinkParameters {
        var p = LinkParameters()
        guard let member = o.member("iec104") else { return p }
        guard onIEC104 else {
            v.report("\"iec104\" applies to a bus with \"protocol\": \"iec104\"", at: path.key("iec104"), member.keyLocation)
            return p
        }
        let lpath = path.key("iec104")
        guard let l = v.object(in: o, "iec104", required: false, allowedKeys: iec104LinkKeys) else { return p }
        let before = v.errors.count
        if let k = v.integer(in: l, "k", required: false, range: 1...32767) { p.k = Int(k) }
        if let w = v.integer(in: l, "w", required: false, range: 1...32767) { p.w = Int(w) }
        if let t = v.integer(in: l, "t0Ms", required: false, range: 1...3_600_000) { p.t0Milliseconds = UInt64(t) }
        if let t = v.integer(in: l, "t1Ms", required: false, range: 1...3_600_000) { p.t1Milliseconds = UInt64(t) }
        if let t = v.integer(in: l, "t2Ms", required: false, range: 1...3_600_000) { p.t2Milliseconds = UInt64(t) }
        if let t = v.integer(in: l, "t3Ms", required: false, range: 1...3_600_000) { p.t3Milliseconds = UInt64(t) }
        if let s = v.integer(in: l, "interrogationIntervalS", required: false, range: 0...604_800) {
            p.interrogationPeriodMilliseconds = UInt64(s) * 1000
        }
        if let s = v.integer(in: l, "counterInterrogationIntervalS", required: false, range: 0...604_800) {
            p.counterInterrogationPeriodMilliseconds = UInt64(s) * 1000
        }
        if let a = v.integer(in: l, "originator", required: false, range: 0...255) { p.originator = UInt8(a) }
        if let t = v.integer(in: l, "clockSyncIntervalMs", required: false, range: 1000...604_800_000) {
            p.clockSyncPeriodMilliseconds = UInt64(t)
        }
        guard v.errors.count == before else { return p }
        if p.t2Milliseconds >= p.t1Milliseconds {
            v.report("t2Ms (\(p.t2Milliseconds)) must be shorter than t1Ms (\(p.t1Milliseconds)): received frames are acknowledged before the outstation gives up",
                     at: lpath.key(l.member("t2Ms") != nil ? "t2Ms" : "t1Ms"), (l.member("t2Ms") ?? l.member("t1Ms"))?.value.location)
        }
        if p.w > p.k * 2 / 3 && l.member("w") != nil {
            v.report("w (\(p.w)) must be at most two thirds of k (\(p.k)): the outstation stops sending at k unacknowledged frames",
                     at: lpath.key("w"), l.member("w")?.value.location)
        }
        return p
    }

    /// A template with `"protocol": "iec104"`: points addressed by information object address
    /// (`"ioa"`, 1...16777215) and kind (`"type"`: single, double, normalized, scaled, float,
    /// counter; with or without time stamp). Writable single, double and float points are
    /// commanded (C_SC_NA_1, C_DC_NA_1, C_SE_NC_1) at `"commandIoa"` (default: `"ioa"`), selected
    /// first with `"select": true`. The device's common address is the device's.
    static func decodeIEC104Template(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator, name: String?,
                                     interval: Int64, errorsBefore: Int) -> DeviceTemplate? {
        for key in ["maxRegistersPerRead", "maxBitsPerRead", "registerGap", "bitGap", "forbidden"] where o.member(key) != nil {
            v.report("\"\(key)\" applies to Modbus templates, not an iec104 one", at: path.key(key), o.member(key)?.keyLocation)
        }
        var points: [PointDefinition] = []
        var pointPaths: [JSONPath] = []
        if let list = v.array(in: o, "points", required: true) {
            for (i, element) in list.enumerated() {
                let ppath = path.key("points").index(i)
                guard let p = v.object(element, at: ppath, allowedKeys: iec104PointKeys) else { continue }
                let before = v.errors.count
                let id = v.string(in: p, "id")
                let ioa = v.integer(in: p, "ioa", range: 1...0xFF_FFFF)
                let kind = v.choice(in: p, "type", IEC104PointKind.allCases.map { $0.rawValue }).flatMap { IEC104PointKind(rawValue: $0) }
                let scale = v.double(in: p, "scale", required: false) ?? 1
                if scale == 0 { v.report("scale must not be 0", at: ppath.key("scale"), p.member("scale")?.value.location) }
                let offset = v.double(in: p, "offset", required: false) ?? 0
                let writable = v.bool(in: p, "writable", required: false) ?? false
                let select = v.bool(in: p, "select", required: false) ?? false
                let commandIoa = v.integer(in: p, "commandIoa", required: false, range: 1...0xFF_FFFF)
                if let kind, writable, !kind.isCommandable {
                    v.report("a \(kind.rawValue) point cannot be commanded: writable points are single, double or float (set-point)",
                             at: ppath.key("writable"), p.member("writable")?.value.location)
                }
                for key in ["select", "commandIoa", "min", "max"] where !writable && p.member(key) != nil {
                    v.report("\"\(key)\" applies to a writable point", at: ppath.key(key), p.member(key)?.keyLocation)
                }
                if writable, let kind, kind != .float, let m = p.member("min") ?? p.member("max") {
                    v.report("min/max limit set-points: the point must be of type float", at: ppath.key(p.member("min") != nil ? "min" : "max"), m.keyLocation)
                }
                let low = v.double(in: p, "min", required: false)
                let high = v.double(in: p, "max", required: false)
                var range: ClosedRange<Double>? = nil
                if low != nil || high != nil {
                    let l = low ?? -Double.greatestFiniteMagnitude, h = high ?? Double.greatestFiniteMagnitude
                    if l > h { v.report("min is above max", at: ppath.key("min"), p.member("min")?.value.location) } else { range = l...h }
                }
                guard v.errors.count == before, let id, let ioa, let kind else { continue }
                if let first = points.firstIndex(where: { $0.identifier == id }) {
                    v.report("duplicate point id \"\(id)\" (also \(pointPaths[first].text))", at: ppath.key("id"), p.member("id")?.value.location)
                    continue
                }
                if let first = points.firstIndex(where: { $0.objectAddress == UInt32(ioa) }) {
                    v.report("ioa \(ioa) is already point \"\(points[first].identifier)\" (\(pointPaths[first].text))",
                             at: ppath.key("ioa"), p.member("ioa")?.value.location)
                    continue
                }
                let dataType: PointDataType = kind == .single ? .bool : kind == .double ? .uint16 : .float64
                var point = PointDefinition(identifier: id, table: .holdingRegister, address: 0, dataType: dataType, scale: scale,
                                            offset: offset, writable: writable, allowedRange: range)
                point.objectAddress = UInt32(ioa)
                point.iec104 = IEC104PointSettings(kind: kind, commandAddress: commandIoa.map { UInt32($0) }, selectBeforeOperate: select)
                points.append(point)
                pointPaths.append(ppath)
            }
        }
        guard v.errors.count == errorsBefore, let name else { return nil }
        var template = DeviceTemplate(name: name, points: points, defaultIntervalMilliseconds: UInt32(interval))
        template.fieldProtocol = .iec104
        return template
    }
}
