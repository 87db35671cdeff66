import EdgeCompute

/// The derived points and scale references of a field-bus configuration, compiled once at load:
/// every point of every device has one slot (`offsets[device] + point`) in the caller's value
/// and quality buffers; each derived point is a `FormulaProgram` over those slots, in an order
/// where each comes after the formulas it reads. Building it allocates; using it does not.
public struct ComputePlan: Sendable {
    /// One derived point: the slot it writes and the program computing it.
    public struct Derived: Sendable {
        public var device: Int
        public var point: Int
        public var slot: Int
        public var program: FormulaProgram
        /// Its window, counter width filled in; nil: every result is published.
        public var window: PointWindow?
    }

    /// Why a formula was refused: the device and point holding it and the compiler's error.
    public struct Failure: Error, Sendable {
        public var device: Int
        public var point: Int
        public var error: FormulaError
    }

    /// First slot of each device.
    public let offsets: [Int]
    /// Slots in all (points of all devices).
    public let slotCount: Int
    /// Derived points in evaluation order.
    public let derived: [Derived]
    /// Per slot: the slot of its scale-factor point (`"scale": "@W_SF"`), or -1.
    public let scaleSlots: [Int]

    /// A plan with nothing to compute.
    public static let empty = ComputePlan(offsets: [], slotCount: 0, derived: [], scaleSlots: [])

    init(offsets: [Int], slotCount: Int, derived: [Derived], scaleSlots: [Int]) {
        self.offsets = offsets
        self.slotCount = slotCount
        self.derived = derived
        self.scaleSlots = scaleSlots
    }

    /// True when no point is derived or scaled by another point.
    public var isEmpty: Bool { derived.isEmpty && !scaleSlots.contains(where: { $0 >= 0 }) }

    /// Compiles every derived point of `fieldBus`: a polled device's formulas name its own
    /// points; a virtual device's also name `device.point`. Throws the first refused formula
    /// (unknown reference, too long, circle...).
    public static func build(_ fieldBus: FieldBusConfiguration,
                             limits: FormulaLimits = FormulaLimits()) throws(Failure) -> ComputePlan {
        var offsets: [Int] = []
        var total = 0
        for d in fieldBus.devices {
            offsets.append(total)
            total += fieldBus.templates[d.template].points.count
        }
        var scaleSlots = [Int](repeating: -1, count: total)
        var derived: [Derived] = []
        var names: [String] = []
        for (d, device) in fieldBus.devices.enumerated() {
            let template = fieldBus.templates[device.template]
            for (p, point) in template.points.enumerated() {
                if let s = point.scalePoint, let sp = template.pointIndex(named: s) { scaleSlots[offsets[d] + p] = offsets[d] + sp }
                guard let formula = point.formula else { continue }
                let base = offsets[d]
                let virtual = device.isVirtual
                let resolve: (String) -> Int? = { name in
                    if let local = template.pointIndex(named: name) { return base + local }
                    guard virtual else { return nil }
                    return ComputePlan.resolve(qualified: name, in: fieldBus, offsets: offsets)
                }
                do throws(FormulaError) {
                    let program = try FormulaCompiler.compile(formula, limits: limits, resolve: resolve)
                    let window = point.window.map { counterWindow($0, formula: formula, resolve: resolve, fieldBus, offsets) }
                    derived.append(Derived(device: d, point: p, slot: base + p, program: program, window: window))
                    names.append(device.name + "." + point.identifier)
                } catch {
                    throw Failure(device: d, point: p, error: error)
                }
            }
        }
        let order: [Int]
        do throws(FormulaError) {
            order = try FormulaDependencies.evaluationOrder(programs: derived.map { $0.program },
                                                            outputs: derived.map { $0.slot }, names: names)
        } catch {
            let f = derived[error.formula ?? 0]
            throw Failure(device: f.device, point: f.point, error: error)
        }
        return ComputePlan(offsets: offsets, slotCount: total, derived: order.map { derived[$0] }, scaleSlots: scaleSlots)
    }

    /// `delta` and `rate` over a formula that is just an unsigned, unscaled polled point: a
    /// counter, whose wrap-around (65535 -> 3 for uint16) counts as a step forward.
    static func counterWindow(_ window: PointWindow, formula: String, resolve: (String) -> Int?,
                              _ fieldBus: FieldBusConfiguration, _ offsets: [Int]) -> PointWindow {
        var out = window
        var bytes = Array(formula.utf8)
        while let c = bytes.first, c == 0x20 || c == 0x09 { bytes.removeFirst() }
        while let c = bytes.last, c == 0x20 || c == 0x09 { bytes.removeLast() }
        guard let slot = resolve(String(decoding: bytes, as: UTF8.self)),
              let d = offsets.lastIndex(where: { $0 <= slot }) else { return out }
        let point = fieldBus.templates[fieldBus.devices[d].template].points[slot - offsets[d]]
        guard !point.isDerived, point.isUnscaled, point.scalePoint == nil else { return out }
        let bits: Int
        switch point.dataType {
        case .uint16: bits = 16
        case .uint32: bits = 32
        case .uint64: bits = 64
        default: return out
        }
        switch window.operation {
        case .delta: out.operation = .delta(counterBits: bits)
        case .rate: out.operation = .rate(counterBits: bits)
        default: break
        }
        return out
    }

    /// The slot of `device.point` (the device name is everything before the last dot), or nil.
    static func resolve(qualified name: String, in fieldBus: FieldBusConfiguration, offsets: [Int]) -> Int? {
        let bytes = Array(name.utf8)
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return nil }
        let deviceName = String(decoding: bytes[..<dot], as: UTF8.self)
        let pointName = String(decoding: bytes[(dot + 1)...], as: UTF8.self)
        guard let d = fieldBus.devices.firstIndex(where: { $0.name == deviceName }),
              let p = fieldBus.templates[fieldBus.devices[d].template].pointIndex(named: pointName) else { return nil }
        return offsets[d] + p
    }
}
