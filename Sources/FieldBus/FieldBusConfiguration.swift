import CShim
import EdgeCompute
import EdgeCore
import IEC104
import TLS

/// The field-bus part of the agent's configuration: buses, device templates and devices, all
/// cross-checked. Built only by `FieldBusConfiguration.decode`/`parse`, which return all of it
/// or every error found, so nothing starts half-configured.
public struct FieldBusConfiguration: Equatable, Sendable {
    public var buses: [BusDefinition]
    public var templates: [DeviceTemplate]
    public var devices: [DeviceDefinition]

    public init(buses: [BusDefinition], templates: [DeviceTemplate], devices: [DeviceDefinition]) {
        self.buses = buses
        self.templates = templates
        self.devices = devices
    }

    /// Parses a document holding `buses`, `templates` and `devices` (and nothing else); throws
    /// every problem found, each naming the file, the path, the line and column and what is wrong.
    public static func parse(_ bytes: [UInt8], file: String, checkDevicePaths: Bool = true) throws(ConfigErrors) -> FieldBusConfiguration {
        var v = ConfigValidator(file: file)
        guard let document = v.parseDocument(bytes),
              let root = v.object(document, at: .root, allowedKeys: ["buses", "templates", "devices"]) else {
            throw v.collected
        }
        let result = decode(root, &v, checkDevicePaths: checkDevicePaths)
        guard let result, !v.hasErrors else { throw v.collected }
        return result
    }

    /// Reads and parses a file (see `parse`).
    public static func load(file: String, checkDevicePaths: Bool = true) throws(ConfigErrors) -> FieldBusConfiguration {
        var v = ConfigValidator(file: file)
        guard let document = v.loadDocument(),
              let root = v.object(document, at: .root, allowedKeys: ["buses", "templates", "devices"]) else {
            throw v.collected
        }
        let result = decode(root, &v, checkDevicePaths: checkDevicePaths)
        guard let result, !v.hasErrors else { throw v.collected }
        return result
    }

    /// Decodes the `buses`, `templates` and `devices` members of `root` (the agent's config may
    /// hold other keys beside them), recording every problem in `v`. Returns nil when any problem
    /// was found. `checkDevicePaths` reports serial devices that do not exist.
    public static func decode(_ root: ConfigObject, _ v: inout ConfigValidator,
                              checkDevicePaths: Bool = true) -> FieldBusConfiguration? {
        let errorsBefore = v.errors.count
        var buses: [BusDefinition] = []
        var busPaths: [JSONPath] = []
        // Every bus and template name declared, valid or not: a device naming a refused one gets
        // no second error for the same mistake.
        var declared: [String] = []
        if let list = v.array(in: root, "buses", required: true) {
            for (i, element) in list.enumerated() {
                let path = root.path.key("buses").index(i)
                if let name = element["name"]?.stringValue { declared.append(name) }
                guard let bus = decodeBus(element, at: path, &v, checkDevicePaths: checkDevicePaths) else { continue }
                if let first = buses.firstIndex(where: { $0.name == bus.name }) {
                    v.report("duplicate bus name \"\(bus.name)\" (also \(busPaths[first].text))", at: path.key("name"), element["name"]?.location)
                }
                buses.append(bus)
                busPaths.append(path)
            }
        }
        var templates: [DeviceTemplate] = []
        var templatePaths: [JSONPath] = []
        if let list = v.array(in: root, "templates", required: true) {
            for (i, element) in list.enumerated() {
                let path = root.path.key("templates").index(i)
                if let name = element["name"]?.stringValue { declared.append(name) }
                guard let template = decodeTemplate(element, at: path, &v) else { continue }
                if let first = templates.firstIndex(where: { $0.name == template.name }) {
                    v.report("duplicate template name \"\(template.name)\" (also \(templatePaths[first].text))",
                             at: path.key("name"), element["name"]?.location)
                }
                templates.append(template)
                templatePaths.append(path)
            }
        }
        var devices: [DeviceDefinition] = []
        var devicePaths: [JSONPath] = []
        // Virtual devices' own point lists, as templates added after the declared ones.
        var virtualTemplates: [DeviceTemplate] = []
        var virtualElements: [(device: Int, element: JSONValue)] = []
        if let list = v.array(in: root, "devices", required: true) {
            for (i, element) in list.enumerated() {
                let path = root.path.key("devices").index(i)
                let decoded: DeviceDefinition?
                if element["type"]?.stringValue == "virtual" {
                    decoded = decodeVirtualDevice(element, at: path, &v, template: templates.count + virtualTemplates.count,
                                                  into: &virtualTemplates)
                    if decoded != nil { virtualElements.append((devices.count, element)) }
                } else {
                    decoded = decodeDevice(element, at: path, &v, buses: buses, templates: templates, declared: declared)
                }
                guard let device = decoded else { continue }
                if let first = devices.firstIndex(where: { $0.name == device.name }) {
                    v.report("duplicate device name \"\(device.name)\" (also \(devicePaths[first].text))",
                             at: path.key("name"), element["name"]?.location)
                } else if !device.isVirtual, buses[device.bus].fieldProtocol == .iec104 {
                    if let first = devices.firstIndex(where: { $0.bus == device.bus && $0.station == device.station }) {
                        v.report("common address \(device.station) is already used on bus \"\(buses[device.bus].name)\" by \(devicePaths[first].text)",
                                 at: path.key("commonAddress"), element["commonAddress"]?.location)
                    }
                } else if !device.isVirtual, buses[device.bus].fieldProtocol == .dlt645 {
                    if let first = devices.firstIndex(where: { $0.bus == device.bus && $0.station == device.station }) {
                        v.report("address \(DLT645Address(station: device.station).text) is already used on bus \"\(buses[device.bus].name)\" by \(devicePaths[first].text)",
                                 at: path.key("address"), element["address"]?.location)
                    }
                } else if !device.isVirtual, let first = devices.firstIndex(where: { $0.bus == device.bus && $0.unitId == device.unitId }) {
                    v.report("unit \(device.unitId) is already used on bus \"\(buses[device.bus].name)\" by \(devicePaths[first].text)",
                             at: path.key("unit"), element["unit"]?.location)
                }
                devices.append(device)
                devicePaths.append(path)
            }
        }
        guard v.errors.count == errorsBefore else { return nil }
        let configuration = FieldBusConfiguration(buses: buses, templates: templates + virtualTemplates, devices: devices)
        checkFormulas(configuration, &v, devicePaths: devicePaths,
                      virtualElements: virtualElements)
        guard v.errors.count == errorsBefore else { return nil }
        return configuration
    }

    // MARK: - Buses

    static let busKeys = ["name", "type", "protocol", "timeSyncIntervalS", "device", "baud", "parity", "dataBits", "stopBits", "rs485", "host", "port", "iec104", "tls",
                          "responseTimeoutMs", "byteTimeoutMs", "interFrameGapUs", "retries", "offlineAfterFailures",
                          "probeBackoffMinMs", "probeBackoffMaxMs"]

    static func decodeBus(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator,
                          checkDevicePaths: Bool) -> BusDefinition? {
        guard let o = v.object(value, at: path, allowedKeys: busKeys) else { return nil }
        let before = v.errors.count
        let name = v.string(in: o, "name")
        let type = v.choice(in: o, "type", ["serial", "tcp"])
        var transport: BusTransportSettings? = nil
        if type == "serial" {
            for key in ["host", "port"] where o.member(key) != nil {
                v.report("\"\(key)\" belongs to a tcp bus, not a serial one", at: path.key(key), o.member(key)?.keyLocation)
            }
            let device = v.string(in: o, "device")
            let baud = v.integer(in: o, "baud", required: false, range: 300...4_000_000) ?? 9600
            let parityText = o.member("parity") == nil ? "N" : v.choice(in: o, "parity", ["N", "E", "O"])
            let dataBits = v.integer(in: o, "dataBits", required: false, range: 5...8) ?? 8
            let stopBits = v.integer(in: o, "stopBits", required: false, range: 1...2) ?? 1
            var rs485 = RS485Mode.none
            if let r = v.object(in: o, "rs485", required: false,
                                allowedKeys: ["mode", "rtsOnSend", "delayBeforeSendMs", "delayAfterSendMs", "rtsUp", "delayUs"]) {
                switch v.choice(in: r, "mode", ["none", "kernel", "rts"]) {
                case "kernel":
                    rs485 = .kernel(rtsOnSend: v.bool(in: r, "rtsOnSend", required: false) ?? true,
                                    delayBeforeSendMilliseconds: UInt32(v.integer(in: r, "delayBeforeSendMs", required: false, range: 0...1000) ?? 0),
                                    delayAfterSendMilliseconds: UInt32(v.integer(in: r, "delayAfterSendMs", required: false, range: 0...1000) ?? 0))
                case "rts":
                    rs485 = .libmodbusRTS(rtsUp: v.bool(in: r, "rtsUp", required: false) ?? true,
                                          delayMicroseconds: UInt32(v.integer(in: r, "delayUs", required: false, range: 0...1_000_000) ?? 0))
                default:
                    break
                }
            }
            if let device, checkDevicePaths, access(device, F_OK) != 0 {
                v.report("serial device \"\(device)\" does not exist", at: path.key("device"), o.member("device")?.value.location)
            }
            if let device, let parityText {
                let parity: Parity = parityText == "E" ? .even : parityText == "O" ? .odd : .none
                transport = .serial(SerialSettings(path: device, baud: UInt32(baud), parity: parity,
                                                   dataBits: UInt8(dataBits), stopBits: UInt8(stopBits), rs485: rs485))
            }
        } else if type == "tcp" {
            for key in ["device", "baud", "parity", "dataBits", "stopBits", "rs485"] where o.member(key) != nil {
                v.report("\"\(key)\" belongs to a serial bus, not a tcp one", at: path.key(key), o.member(key)?.keyLocation)
            }
            let host = v.string(in: o, "host")
            // 2404 is IEC 104's registered port, 502 Modbus TCP's.
            let defaultPort: Int64 = o.member("protocol")?.value.stringValue == "iec104" ? 2404 : 502
            let port = v.integer(in: o, "port", required: false, range: 1...65535) ?? defaultPort
            if let host { transport = .tcp(TCPSettings(host: host, port: UInt16(port))) }
        }
        var fieldProtocol: FieldProtocolKind? = nil
        if o.member("protocol") != nil, let text = v.choice(in: o, "protocol", ["modbus-rtu", "modbus-tcp", "dlt645", "iec104"]) {
            fieldProtocol = FieldProtocolKind(rawValue: text)
            let serialOnly = fieldProtocol != .modbusTCP && fieldProtocol != .iec104
            if let type, (type == "serial") != serialOnly {
                v.report("protocol \"\(text)\" runs on a \(serialOnly ? "serial" : "tcp") bus, not a \(type) one",
                         at: path.key("protocol"), o.member("protocol")?.value.location)
            }
        }
        let timeSync = v.integer(in: o, "timeSyncIntervalS", required: false, range: 1...31_536_000)
        if timeSync != nil && fieldProtocol != .dlt645 {
            v.report("\"timeSyncIntervalS\" applies to a dlt645 bus (its broadcast time sync)", at: path.key("timeSyncIntervalS"),
                     o.member("timeSyncIntervalS")?.keyLocation)
        }
        let link = decodeIEC104Link(o, at: path, &v, onIEC104: fieldProtocol == .iec104)
        let tls = decodeIEC104TLS(o, at: path, &v, onIEC104: fieldProtocol == .iec104)
        let response = v.integer(in: o, "responseTimeoutMs", required: false, range: 1...60_000) ?? 500
        let byte = v.integer(in: o, "byteTimeoutMs", required: false, range: 1...60_000) ?? 50
        let gap = v.integer(in: o, "interFrameGapUs", required: false, range: 0...1_000_000)
        let retries = v.integer(in: o, "retries", required: false, range: 0...10) ?? 1
        let offline = v.integer(in: o, "offlineAfterFailures", required: false, range: 1...100) ?? 3
        let backoffMin = v.integer(in: o, "probeBackoffMinMs", required: false, range: 1...3_600_000) ?? 1000
        let backoffMax = v.integer(in: o, "probeBackoffMaxMs", required: false, range: 1...3_600_000) ?? 60_000
        if backoffMax < backoffMin {
            v.report("probeBackoffMaxMs (\(backoffMax)) is below probeBackoffMinMs (\(backoffMin))",
                     at: path.key("probeBackoffMaxMs"), o.member("probeBackoffMaxMs")?.value.location)
        }
        guard v.errors.count == before, let name, let transport else { return nil }
        var bus = BusDefinition(name: name, transport: transport, responseTimeoutMilliseconds: UInt32(response),
                             byteTimeoutMilliseconds: UInt32(byte), interFrameGapMicroseconds: gap.map { UInt32($0) },
                             retries: UInt8(retries), offlineAfterFailures: UInt8(offline),
                             probeBackoffMinimumMilliseconds: UInt32(backoffMin), probeBackoffMaximumMilliseconds: UInt32(backoffMax),
                             fieldProtocol: fieldProtocol)
        bus.timeSyncIntervalSeconds = timeSync.map { UInt32($0) }
        if fieldProtocol == .iec104 {
            bus.iec104Link = link
            bus.iec104TLS = tls
        }
        return bus
    }

    // MARK: - Templates

    // "services" (templates and devices) is the agent configuration's (`ServiceCatalog` decodes it).
    static let templateKeys = ["name", "protocol", "intervalMs", "maxRegistersPerRead", "maxBitsPerRead", "registerGap", "bitGap",
                               "forbidden", "points", "services"]
    static let pointKeys = ["id", "table", "address", "type", "bit", "length", "order", "scale", "offset", "intervalMs",
                            "writable", "min", "max", "formula"] + reportKeys + windowKeys
    static let typeNames = ["bool", "bit", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string"]
    static let tableNames = ["coil", "discrete", "input", "holding"]

    static func decodeTemplate(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator) -> DeviceTemplate? {
        guard let o = v.object(value, at: path, allowedKeys: templateKeys) else { return nil }
        let before = v.errors.count
        let name = v.string(in: o, "name")
        let templateProtocol = o.member("protocol") == nil ? "modbus" : v.choice(in: o, "protocol", ["modbus", "dlt645", "iec104"])
        let interval = v.integer(in: o, "intervalMs", required: false, range: 1...86_400_000) ?? 1000
        if templateProtocol == "dlt645" {
            return decodeDLT645Template(o, at: path, &v, name: name, interval: interval, errorsBefore: before)
        }
        if templateProtocol == "iec104" {
            return decodeIEC104Template(o, at: path, &v, name: name, interval: interval, errorsBefore: before)
        }
        var limits = DeviceLimits()
        if let n = v.integer(in: o, "maxRegistersPerRead", required: false, range: 1...Int64(DeviceLimits.protocolMaxRegisters)) {
            limits.maxRegistersPerRead = UInt16(n)
        }
        if let n = v.integer(in: o, "maxBitsPerRead", required: false, range: 1...Int64(DeviceLimits.protocolMaxBits)) {
            limits.maxBitsPerRead = UInt16(n)
        }
        if let n = v.integer(in: o, "registerGap", required: false, range: 0...124) { limits.registerGap = UInt16(n) }
        if let n = v.integer(in: o, "bitGap", required: false, range: 0...1999) { limits.bitGap = UInt16(n) }
        var forbidden: [AddressRange] = []
        if let list = v.array(in: o, "forbidden", required: false) {
            for (i, element) in list.enumerated() {
                let fpath = path.key("forbidden").index(i)
                guard let f = v.object(element, at: fpath, allowedKeys: ["table", "first", "last"]) else { continue }
                let table = v.choice(in: f, "table", tableNames).flatMap { RegisterTable(name: $0) }
                let first = v.integer(in: f, "first", range: 0...65535)
                let last = v.integer(in: f, "last", required: false, range: 0...65535) ?? first
                if let first, let last, last < first {
                    v.report("last (\(last)) is below first (\(first))", at: fpath.key("last"), f.member("last")?.value.location)
                } else if let table, let first, let last {
                    forbidden.append(AddressRange(table: table, first: UInt16(first), last: UInt16(last)))
                }
            }
        }
        var points: [PointDefinition] = []
        var pointPaths: [JSONPath] = []
        var pointLocations: [JSONLocation] = []
        var pointElements: [JSONValue] = []
        if let list = v.array(in: o, "points", required: true) {
            for (i, element) in list.enumerated() {
                let ppath = path.key("points").index(i)
                guard let point = decodePoint(element, at: ppath, &v, limits: limits) else { continue }
                if let first = points.firstIndex(where: { $0.identifier == point.identifier }) {
                    v.report("duplicate point id \"\(point.identifier)\" (also \(pointPaths[first].text))",
                             at: ppath.key("id"), element["id"]?.location)
                    continue
                }
                // A multi-register value overlapping another one at a different start address is
                // a value split at the wrong register (e.g. float32 at 101 beside float32 at 100).
                if point.dataType.isMultiRegisterNumber && !point.isDerived {
                    for (j, other) in points.enumerated()
                    where !other.isDerived && other.table == point.table && other.dataType.isMultiRegisterNumber && other.address != point.address {
                        let a0 = UInt32(point.address), a1 = a0 + UInt32(point.width) - 1
                        let b0 = UInt32(other.address), b1 = b0 + UInt32(other.width) - 1
                        if a0 <= b1 && b0 <= a1 {
                            v.report("\(point.dataType.name) at \(point.address) overlaps \(other.dataType.name) \"\(other.identifier)\" at \(other.address) (\(pointPaths[j].text)): a multi-register value split at the wrong register",
                                     at: ppath.key("address"), element["address"]?.location)
                        }
                    }
                }
                points.append(point)
                pointPaths.append(ppath)
                pointLocations.append(element.location)
                pointElements.append(element)
            }
        }
        checkTemplateFormulas(points, paths: pointPaths, elements: pointElements, &v)
        guard v.errors.count == before, let name else { return nil }
        let template = DeviceTemplate(name: name, points: points, forbidden: forbidden, limits: limits,
                                      defaultIntervalMilliseconds: UInt32(interval))
        // The planner's own checks (forbidden registers, limits), named at the point.
        do throws(PlanError) {
            _ = try RequestPlanner.plan(template, selection: points.indices.filter { !points[$0].isDerived })
        } catch {
            switch error {
            case .pointInForbiddenRange(let p):
                v.report("point \"\(points[p].identifier)\" covers a register the device must never be asked for (forbidden)",
                         at: pointPaths[p], pointLocations[p])
            case .pointExceedsLimit(let p):
                v.report("point \"\(points[p].identifier)\" needs \(points[p].width) registers, beyond the device's limit of \(limits.maxPerRead(points[p].table)) a read",
                         at: pointPaths[p], pointLocations[p])
            case .addressOverflow(let p):
                v.report("point \"\(points[p].identifier)\" runs past address 65535", at: pointPaths[p], pointLocations[p])
            }
            return nil
        }
        return template
    }

    static func decodePoint(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator, limits: DeviceLimits) -> PointDefinition? {
        guard let o = v.object(value, at: path, allowedKeys: pointKeys) else { return nil }
        if o.member("formula") != nil { return decodeDerivedPoint(o, at: path, &v) }
        let before = v.errors.count
        let id = v.string(in: o, "id")
        let report = decodeReport(o, at: path, &v)
        refuseWindowOnPolledPoint(o, at: path, &v)
        let table = v.choice(in: o, "table", tableNames).flatMap { RegisterTable(name: $0) }
        let address = v.integer(in: o, "address", range: 0...65535)
        let typeName = o.member("type") == nil && table?.holdsBits == true ? "bool" : v.choice(in: o, "type", typeNames)
        var type: PointDataType? = nil
        switch typeName {
        case "bool": type = .bool
        case "bit":
            if let b = v.integer(in: o, "bit", range: 0...15) { type = .bitOfRegister(index: UInt8(b)) }
        case "int16": type = .int16
        case "uint16": type = .uint16
        case "int32": type = .int32
        case "uint32": type = .uint32
        case "int64": type = .int64
        case "uint64": type = .uint64
        case "float32": type = .float32
        case "float64": type = .float64
        case "string":
            if let n = v.integer(in: o, "length", range: 1...Int64(ShortString.capacity)) { type = .string(length: UInt16(n)) }
        default: break
        }
        if typeName != "bit", let m = o.member("bit") {
            v.report("\"bit\" applies only to type \"bit\"", at: path.key("bit"), m.keyLocation)
        }
        if typeName != "string", let m = o.member("length") {
            v.report("\"length\" applies only to type \"string\"", at: path.key("length"), m.keyLocation)
        }
        if let table, let type, table.holdsBits, type != .bool {
            v.report("a \(table.name) holds single bits: type must be \"bool\", not \"\(type.name)\"", at: path.key("type"), o.member("type")?.value.location)
        }
        let order = o.member("order") == nil ? WordOrder.abcd
            : v.choice(in: o, "order", ["ABCD", "CDAB", "BADC", "DCBA"]).flatMap { WordOrder(name: $0) }
        let scalePoint = decodeScaleReference(o, at: path, &v, numeric: type.map { !$0.isString } ?? true)
        let scale = scalePoint != nil ? 1 : v.double(in: o, "scale", required: false) ?? 1
        if scale == 0 { v.report("scale must not be 0", at: path.key("scale"), o.member("scale")?.value.location) }
        let offset = v.double(in: o, "offset", required: false) ?? 0
        let interval = v.integer(in: o, "intervalMs", required: false, range: 1...86_400_000)
        let writable = v.bool(in: o, "writable", required: false) ?? false
        if writable, let table, !table.isWritable {
            v.report("a point in the \(table.name) table cannot be writable", at: path.key("writable"), o.member("writable")?.value.location)
        }
        if writable, scalePoint != nil {
            v.report("a point scaled by another point cannot be writable", at: path.key("writable"), o.member("writable")?.value.location)
        }
        let low = v.double(in: o, "min", required: false)
        let high = v.double(in: o, "max", required: false)
        var range: ClosedRange<Double>? = nil
        if low != nil || high != nil {
            if !writable {
                v.report("min/max limit writes: the point must be writable", at: path.key(low != nil ? "min" : "max"),
                         o.member(low != nil ? "min" : "max")?.keyLocation)
            }
            let l = low ?? -Double.greatestFiniteMagnitude, h = high ?? Double.greatestFiniteMagnitude
            if l > h {
                v.report("min is above max", at: path.key("min"), o.member("min")?.value.location)
            } else {
                range = l...h
            }
        }
        guard v.errors.count == before, let id, let table, let address, let type, let order, let report else { return nil }
        return PointDefinition(identifier: id, table: table, address: UInt16(address), dataType: type, order: order,
                               scale: scale, offset: offset, intervalMilliseconds: interval.map { UInt32($0) },
                               writable: writable, allowedRange: range, scalePoint: scalePoint, report: report)
    }

    // MARK: - Devices

    static let deviceKeys = ["name", "template", "unit", "address", "commonAddress", "bus", "intervalMs", "productKey", "deviceKey", "services"]

    static func decodeDevice(_ value: JSONValue, at path: JSONPath, _ v: inout ConfigValidator,
                             buses: [BusDefinition], templates: [DeviceTemplate], declared: [String]) -> DeviceDefinition? {
        guard let o = v.object(value, at: path, allowedKeys: deviceKeys) else { return nil }
        let before = v.errors.count
        let name = v.string(in: o, "name")
        let templateName = v.string(in: o, "template")
        let busName = v.string(in: o, "bus")
        // A DL/T 645 meter is addressed by its 12-digit address instead of a unit id.
        let busProtocol = busName.flatMap { n in buses.first { $0.name == n } }?.fieldProtocol
        let onDLT645 = busProtocol == .dlt645
        // An IEC 104 station is addressed by its common address.
        let onIEC104 = busProtocol == .iec104
        // On a refused bus (its own error said why) a meter's "address" stands for its "unit".
        let busRefused = busName.map { n in !buses.contains { $0.name == n } && declared.contains(n) } ?? false
        let meterOnRefusedBus = busRefused && (o.member("address") != nil || o.member("commonAddress") != nil) && o.member("unit") == nil
        let unit = onDLT645 || onIEC104 || meterOnRefusedBus ? 0 : v.integer(in: o, "unit", range: 0...255)
        var station: UInt64 = 0
        if onIEC104 {
            if let m = o.member("unit") {
                v.report("an IEC 104 station has a \"commonAddress\" (1...65534), not a \"unit\"", at: path.key("unit"), m.keyLocation)
            }
            if let ca = v.integer(in: o, "commonAddress", range: 1...65534) { station = UInt64(ca) }
        } else if !busRefused, let m = o.member("commonAddress") {
            v.report("\"commonAddress\" belongs to a station on an iec104 bus", at: path.key("commonAddress"), m.keyLocation)
        }
        if onDLT645 {
            if let m = o.member("unit") {
                v.report("a DL/T 645 meter has an \"address\" (12 digits), not a \"unit\"", at: path.key("unit"), m.keyLocation)
            }
            if let text = v.string(in: o, "address") {
                if let address = DLT645Address(text: text) {
                    station = address.station
                } else {
                    v.report("\"\(text)\" is not a DL/T 645 meter address (12 digits 0-9, or A for a wildcard digit, e.g. \"000012345678\")",
                             at: path.key("address"), o.member("address")?.value.location)
                }
            }
        } else if !busRefused, let m = o.member("address") {
            v.report(onIEC104 ? "\"address\" belongs to a device on a dlt645 bus; an IEC 104 station has a \"commonAddress\""
                              : "\"address\" belongs to a device on a dlt645 bus; a Modbus device has a \"unit\"", at: path.key("address"), m.keyLocation)
        }
        let interval = v.integer(in: o, "intervalMs", required: false, range: 1...86_400_000)
        let productKey = v.string(in: o, "productKey", required: false)
        let deviceKey = v.string(in: o, "deviceKey", required: false)
        if (productKey == nil) != (deviceKey == nil), o.member("productKey") != nil || o.member("deviceKey") != nil {
            v.report("give both productKey and deviceKey, or neither", at: path, o.location)
        }
        var templateIndex: Int? = nil
        if let templateName {
            templateIndex = templates.firstIndex { $0.name == templateName }
            if templateIndex == nil && declared.contains(templateName) {
                return nil
            } else if templateIndex == nil {
                v.report("unknown template \"\(templateName)\"" + known(templates.map { $0.name }),
                         at: path.key("template"), o.member("template")?.value.location)
            }
        }
        var busIndex: Int? = nil
        if let busName {
            busIndex = buses.firstIndex { $0.name == busName }
            if busIndex == nil && declared.contains(busName) {
                return nil
            } else if busIndex == nil {
                v.report("unknown bus \"\(busName)\"" + known(buses.map { $0.name }), at: path.key("bus"), o.member("bus")?.value.location)
            }
        }
        if let templateIndex, let busIndex, (templates[templateIndex].fieldProtocol == .iec104) != onIEC104 {
            v.report(onIEC104 ? "template \"\(templates[templateIndex].name)\" is not an IEC 104 template (\"protocol\": \"iec104\"), but bus \"\(buses[busIndex].name)\" is iec104"
                              : "template \"\(templates[templateIndex].name)\" is an IEC 104 template, but bus \"\(buses[busIndex].name)\" is \(buses[busIndex].fieldProtocol.rawValue)",
                     at: path.key("template"), o.member("template")?.value.location)
        } else if let templateIndex, let busIndex, (templates[templateIndex].fieldProtocol == .dlt645) != onDLT645 {
            v.report(onDLT645 ? "template \"\(templates[templateIndex].name)\" is not a DL/T 645 template (\"protocol\": \"dlt645\"), but bus \"\(buses[busIndex].name)\" is dlt645"
                              : "template \"\(templates[templateIndex].name)\" is a DL/T 645 template, but bus \"\(buses[busIndex].name)\" is \(buses[busIndex].fieldProtocol.rawValue)",
                     at: path.key("template"), o.member("template")?.value.location)
        }
        if !onDLT645, let unit, let busIndex, case .serial = buses[busIndex].transport, !(1...247).contains(unit) {
            v.report("unit \(unit) is not a Modbus RTU address (1...247)", at: path.key("unit"), o.member("unit")?.value.location)
        }
        guard v.errors.count == before, let name, let templateIndex, let busIndex, let unit else { return nil }
        var cloud: CloudIdentity? = nil
        if let productKey, let deviceKey { cloud = CloudIdentity(productKey: productKey, deviceKey: deviceKey) }
        var device = DeviceDefinition(name: name, template: templateIndex, unitId: UInt8(unit), bus: busIndex,
                                      intervalOverrideMilliseconds: interval.map { UInt32($0) }, cloud: cloud)
        device.station = station
        return device
    }

    static func known(_ names: [String]) -> String {
        guard !names.isEmpty else { return " (none are defined)" }
        var text = " (known: "
        for (i, n) in names.enumerated() {
            if i > 0 { text += ", " }
            text += n
        }
        return text + ")"
    }
}
