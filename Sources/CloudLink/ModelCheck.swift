import EnOS
import FieldBus
import Configuration
import Logging

/// The local points checked against each sub-device product's TSL model (`cloud.checkModels`):
/// the gateway fetches the model at login (`.model` events, once per product key and
/// connection), and each point of each device of that product becomes `ok`, `unknown` (the model
/// has no such measurepoint) or `mismatch` (the model's type is not what the point sends). The
/// `unknown` and `mismatch` ones are left out of posts (`isExcluded`), logged once as a warning
/// (again only if the verdict changes, e.g. after a model change seen on reconnect), and shown
/// by the console's `points`. A model that cannot be fetched or does not parse is reported with
/// the product key and the reason, and changes nothing.
///
/// Memory: the verdict tables are sized from the configuration at start-up; the model is parsed
/// in place (`EnOSTSLModel`, at most `measurepointLimit` measurepoints); only the log lines of a
/// changed verdict allocate, at login time.
public final class ModelCheck {
    /// What the model says about one point.
    public enum Verdict: UInt8, Equatable, Sendable {
        /// No model seen yet (or `checkModels` off): sent.
        case unchecked
        case ok
        /// The model has no measurepoint of this identifier: left out.
        case unknown
        /// The model's type does not take what this point sends: left out.
        case mismatch
    }

    let fieldBus: FieldBusConfiguration
    /// Per sub-device: its field device.
    let subToDevice: [Int]
    /// Per device: the product key of its sub-device ("" if it has none).
    let productKeys: [String]
    /// Per device: the index of its first point in the tables.
    let firstPoint: [Int]
    let verdicts: UnsafeMutableBufferPointer<Verdict>
    /// Per point: the model's type when `mismatch`.
    let modelTypes: UnsafeMutableBufferPointer<EnOSTSLType>
    /// Per point, while a model is applied: seen in it.
    let seen: UnsafeMutableBufferPointer<Bool>
    /// Per sub-device: the last fetch failure reported (0: none), and whether its last model did
    /// not parse (each reported once until it changes).
    let lastFailure: UnsafeMutableBufferPointer<Int>
    let parseFailed: UnsafeMutableBufferPointer<Bool>
    /// Per sub-device: its product's model was answered (or failed) on this connection.
    let answered: UnsafeMutableBufferPointer<Bool>
    /// Most measurepoints a model may have: 8 × the largest template's points, at least 1024.
    public let measurepointLimit: Int
    var log: Logger?
    /// Points left out of posts now.
    public private(set) var excludedCount = 0

    public init(fieldBus: FieldBusConfiguration, subDevices: [SubDeviceCredentials], log: Logger?) {
        self.fieldBus = fieldBus
        var subToDevice: [Int] = []
        for s in subDevices { subToDevice.append(s.device) }
        self.subToDevice = subToDevice
        var keys = [String](repeating: "", count: fieldBus.devices.count)
        for s in subDevices where s.device >= 0 && s.device < keys.count { keys[s.device] = s.credentials.productKey }
        productKeys = keys
        var first: [Int] = []
        var total = 0
        var largest = 0
        for d in fieldBus.devices {
            first.append(total)
            let n = fieldBus.templates[d.template].points.count
            total += n
            largest = max(largest, n)
        }
        firstPoint = first
        measurepointLimit = max(1024, 8 * largest)
        verdicts = .allocate(capacity: max(1, total))
        verdicts.initialize(repeating: .unchecked)
        modelTypes = .allocate(capacity: max(1, total))
        modelTypes.initialize(repeating: .unspecified)
        seen = .allocate(capacity: max(1, total))
        seen.initialize(repeating: false)
        lastFailure = .allocate(capacity: max(1, subDevices.count))
        lastFailure.initialize(repeating: 0)
        parseFailed = .allocate(capacity: max(1, subDevices.count))
        parseFailed.initialize(repeating: false)
        answered = .allocate(capacity: max(1, subDevices.count))
        answered.initialize(repeating: false)
        self.log = log
    }

    deinit {
        verdicts.deallocate()
        modelTypes.deallocate()
        seen.deallocate()
        lastFailure.deallocate()
        parseFailed.deallocate()
        answered.deallocate()
    }

    /// A new connection: every model is asked for again (a changed model is picked up).
    func connectionStarted() {
        for i in answered.indices { answered[i] = false }
    }

    /// True if sub-device `sub`'s product model was answered on this connection (its data may
    /// go: nothing the model refuses is sent).
    public func isAnswered(subDevice sub: Int) -> Bool { sub >= 0 && sub < subToDevice.count && answered[sub] }


    /// The verdict of `point` of `device`.
    public func verdict(device: Int, point: Int) -> Verdict {
        guard device >= 0, device < firstPoint.count else { return .unchecked }
        return verdicts[firstPoint[device] + point]
    }

    /// True if the model refuses the point: it is left out of posts.
    @inline(__always)
    public func isExcluded(device: Int, point: Int) -> Bool {
        let v = verdict(device: device, point: point)
        return v == .unknown || v == .mismatch
    }

    /// The model's type of an excluded `mismatch` point, in words.
    public func modelType(device: Int, point: Int) -> EnOSTSLType {
        guard device >= 0, device < firstPoint.count else { return .unspecified }
        return modelTypes[firstPoint[device] + point]
    }

    /// What a point sends, in the model's terms: integers (bools as 0/1, unscaled integer
    /// registers), numbers (floats and scaled registers) or strings.
    public static func sentType(_ p: PointDefinition) -> EnOSTSLType {
        switch p.dataType {
        case .string: return .text
        case .float32, .float64: return .number
        default: return p.isUnscaled ? .integer : .number
        }
    }

    /// True if a measurepoint of model type `model` takes what a point of type `sent` sends.
    public static func accepts(_ model: EnOSTSLType, _ sent: EnOSTSLType) -> Bool {
        switch model {
        case .unspecified: return true
        case .integer: return sent == .integer
        case .number: return sent == .integer || sent == .number
        case .text: return sent == .text
        case .structured: return false
        }
    }

    /// The reply to the model request of sub-device `sub` (see `EnOSGatewayEvent.model`).
    func receive(subDevice sub: Int, code: Int, data: UnsafeRawBufferPointer) {
        guard sub >= 0, sub < subToDevice.count else { return }
        let device = subToDevice[sub]
        let productKey = productKeys[device]
        for j in 0..<subToDevice.count where productKeys[subToDevice[j]] == productKey { answered[j] = true }
        guard code == 200 else {
            if lastFailure[sub] != code {
                lastFailure[sub] = code
                let why = code == EnOSGatewayEvent.timedOut ? "no reply in time" : "code \(code)"
                log?.warning("model check: the TSL model of product \(productKey) (thing.tsltemplate.get for device "
                             + "\(fieldBus.devices[device].name)) could not be fetched: \(why); its points are sent unchanged")
            }
            return
        }
        lastFailure[sub] = 0
        let limit = measurepointLimit
        do throws(EnOSTSLModelError) {
            try EnOSTSLModel.parse(data, limit: limit) { _ in }   // validate before changing anything
        } catch {
            if !parseFailed[sub] {
                parseFailed[sub] = true
                log?.warning("model check: the TSL model of product \(productKey) does not parse: \(error.description); "
                             + "the points of its devices stay as they are")
            }
            return
        }
        parseFailed[sub] = false
        apply(data, productKey: productKey)
    }

    /// Applies a valid model to every device of `productKey`.
    func apply(_ data: UnsafeRawBufferPointer, productKey: String) {
        let devices = fieldBus.devices
        var d = 0
        while d < devices.count {
            if productKeys[d] == productKey {
                for p in 0..<fieldBus.templates[devices[d].template].points.count { seen[firstPoint[d] + p] = false }
            }
            d += 1
        }
        let limit = measurepointLimit
        _ = try? EnOSTSLModel.parse(data, limit: limit) { m in
            var d = 0
            while d < devices.count {
                defer { d += 1 }
                guard productKeys[d] == productKey else { continue }
                let points = fieldBus.templates[devices[d].template].points
                var p = 0
                while p < points.count {
                    defer { p += 1 }
                    guard m.identifier.equals(points[p].identifier) else { continue }
                    let k = firstPoint[d] + p
                    seen[k] = true
                    let sent = Self.sentType(points[p])
                    if Self.accepts(m.type, sent) {
                        settle(k, .ok, device: d, point: p, productKey: productKey)
                    } else {
                        modelTypes[k] = m.type
                        if verdicts[k] != .mismatch {
                            let said = m.typeName?.string ?? ""
                            log?.warning("model check: device \(devices[d].name) point \(points[p].identifier) is left out of posts: "
                                         + "the TSL model of product \(productKey) defines it as \(said) (\(m.type.name)), "
                                         + "the point (\(points[p].dataType.name)) sends \(sent.name)")
                        }
                        settle(k, .mismatch, device: d, point: p, productKey: productKey)
                    }
                }
            }
        }
        d = 0
        while d < devices.count {
            defer { d += 1 }
            guard productKeys[d] == productKey else { continue }
            let points = fieldBus.templates[devices[d].template].points
            for p in 0..<points.count where !seen[firstPoint[d] + p] {
                let k = firstPoint[d] + p
                if verdicts[k] != .unknown {
                    log?.warning("model check: device \(devices[d].name) point \(points[p].identifier) is left out of posts: "
                                 + "the TSL model of product \(productKey) has no measurepoint \(points[p].identifier)")
                }
                settle(k, .unknown, device: d, point: p, productKey: productKey)
            }
        }
    }

    func settle(_ k: Int, _ verdict: Verdict, device: Int, point: Int, productKey: String) {
        let before = verdicts[k]
        guard before != verdict else { return }
        let wasExcluded = before == .unknown || before == .mismatch
        let isExcluded = verdict == .unknown || verdict == .mismatch
        if wasExcluded && !isExcluded {
            excludedCount -= 1
            log?.info("model check: device \(fieldBus.devices[device].name) point "
                      + "\(fieldBus.templates[fieldBus.devices[device].template].points[point].identifier) is in the TSL model "
                      + "of product \(productKey) now: it is sent again")
        } else if !wasExcluded && isExcluded {
            excludedCount += 1
        }
        verdicts[k] = verdict
    }
}

extension EnOSUplink where Transport: ~Copyable {
    /// True unless a logged-in sub-device's product model is still awaited (`checkModels`):
    /// data waits for it, so that nothing its model refuses goes out.
    var modelsSettled: Bool {
        guard sink.models != nil else { return true }
        var i = 0
        while i < sink.subToDevice.count {
            if gateway.isSubDeviceOnline(i) && !models.isAnswered(subDevice: i) { return false }
            i += 1
        }
        return true
    }

    public func modelVerdict(device: Int, point: Int) -> ModelCheck.Verdict {
        models.verdict(device: device, point: point)
    }
}
