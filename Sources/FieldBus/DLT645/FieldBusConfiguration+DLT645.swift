import EdgeCore

extension FieldBusConfiguration {
    static let dlt645PointKeys = ["id", "di", "scale", "offset", "intervalMs"]

    /// A template with `"protocol": "dlt645"`: points addressed by data identifier
    /// (`"di": "0x02010100"`), each in `DLT645DataFormat`'s table, read-only. The value comes in
    /// the table's unit (kWh, V, A, kW…) and is then scaled (`scale`, `offset`).
    static func decodeDLT645Template(_ o: ConfigObject, at path: JSONPath, _ v: inout ConfigValidator, name: String?,
                                     interval: Int64, errorsBefore: Int) -> DeviceTemplate? {
        for key in ["maxRegistersPerRead", "maxBitsPerRead", "registerGap", "bitGap", "forbidden"] where o.member(key) != nil {
            v.report("\"\(key)\" applies to Modbus templates, not a dlt645 one", at: path.key(key), o.member(key)?.keyLocation)
        }
        var points: [PointDefinition] = []
        var pointPaths: [JSONPath] = []
        if let list = v.array(in: o, "points", required: true) {
            for (i, element) in list.enumerated() {
                let ppath = path.key("points").index(i)
                guard let p = v.object(element, at: ppath, allowedKeys: dlt645PointKeys) else { continue }
                let before = v.errors.count
                let id = v.string(in: p, "id")
                var di: UInt32? = nil
                if let text = v.string(in: p, "di") {
                    di = parseDataIdentifier(text)
                    if di == nil {
                        v.report("\"\(text)\" is not a data identifier (8 hex digits, e.g. \"0x02010100\")",
                                 at: ppath.key("di"), p.member("di")?.value.location)
                    } else if let value = di, DLT645DataFormat.lookup(value) == nil {
                        v.report("data identifier \(DLT645DataFormat.text(value)) is not in the DL/T 645 table (energy 0x00tt rr ss, demand 0x01tt rr ss, voltage 0x020101..03 00, current 0x020201..03 00, power 0x0203..05 0p 00, power factor 0x02060p00, 0x02800001..07; one value each, no FF blocks)",
                                 at: ppath.key("di"), p.member("di")?.value.location)
                        di = nil
                    }
                }
                let scale = v.double(in: p, "scale", required: false) ?? 1
                if scale == 0 { v.report("scale must not be 0", at: ppath.key("scale"), p.member("scale")?.value.location) }
                let offset = v.double(in: p, "offset", required: false) ?? 0
                let pointInterval = v.integer(in: p, "intervalMs", required: false, range: 1...86_400_000)
                guard v.errors.count == before, let id, let di else { continue }
                if let first = points.firstIndex(where: { $0.identifier == id }) {
                    v.report("duplicate point id \"\(id)\" (also \(pointPaths[first].text))", at: ppath.key("id"), p.member("id")?.value.location)
                    continue
                }
                var point = PointDefinition(identifier: id, table: .inputRegister, address: 0, dataType: .float64, scale: scale,
                                            offset: offset, intervalMilliseconds: pointInterval.map { UInt32($0) })
                point.objectAddress = di
                points.append(point)
                pointPaths.append(ppath)
            }
        }
        guard v.errors.count == errorsBefore, let name else { return nil }
        var template = DeviceTemplate(name: name, points: points, defaultIntervalMilliseconds: UInt32(interval))
        template.fieldProtocol = .dlt645
        return template
    }

    /// "0x02010100" or "02010100" (8 hex digits) as a DI.
    static func parseDataIdentifier(_ text: String) -> UInt32? {
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard digits.utf8.count == 8, digits.utf8.allSatisfy({ b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102)
        }) else { return nil }
        return UInt32(digits, radix: 16)
    }
}
