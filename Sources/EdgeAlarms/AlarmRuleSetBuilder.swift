import EdgeCompute

/// Compiles `AlarmDefinition`s into an `AlarmRuleSet` at load: resolves point names to input
/// slots through the caller's resolver, compiles conditions with the formula language
/// (`FormulaCompiler`), checks identifiers, message templates and outputs. Start-up only
/// (allocates); a refused definition leaves the set as it was.
public struct AlarmRuleSetBuilder {
    /// Values one rule records with each transition (placeholders and point outputs together).
    public static let maximumCaptures = 8
    /// Output parameters of one event.
    public static let maximumOutputs = 16
    /// The longest on- or off-delay: one day.
    public static let maximumDelayMilliseconds: UInt32 = 86_400_000

    public private(set) var set = AlarmRuleSet()
    var internedTexts: [[UInt8]: AlarmText] = [:]
    var internedOutputs: [[AlarmOutput]: UInt32] = [:]
    var identifiers: [UInt32: String] = [:]

    public init() {}

    /// Adds `definition`; `resolve` maps a point name (`TEMP`, or `inverter2.TEMP`) as written in
    /// the rule to its input slot, nil when the device has no such point.
    public mutating func add(_ definition: AlarmDefinition, resolve: @escaping (String) -> Int?) throws(AlarmRuleError) {
        let d = definition
        if let problem = AlarmRuleSetBuilder.identifierProblem(d.identifier) { throw AlarmRuleError(.identifier, problem) }
        if let problem = AlarmRuleSetBuilder.identifierProblem(d.eventId) { throw AlarmRuleError(.eventId, problem) }
        let fingerprint = AlarmRule.fingerprint(d.identifier.utf8)
        if let other = identifiers[fingerprint] {
            throw AlarmRuleError(.identifier, other == d.identifier ? "duplicate alarm id \"\(d.identifier)\""
                                 : "alarm id \"\(d.identifier)\" has the same fingerprint as \"\(other)\": rename one")
        }
        guard UInt32(exactly: d.device) != nil else { throw AlarmRuleError(.identifier, "no such device") }
        var captures: [UInt32] = []
        func capture(_ slot: Int) -> UInt8? {
            if let i = captures.firstIndex(of: UInt32(slot)) { return UInt8(i) }
            guard captures.count < AlarmRuleSetBuilder.maximumCaptures else { return nil }
            captures.append(UInt32(slot))
            return UInt8(captures.count - 1)
        }
        // The condition.
        var kind = AlarmConditionKind.expression
        var code = FormulaCodeHandle.none
        var slot = 0
        var limit = 0.0
        var hysteresis = 0.0
        var pool = set.code
        func formula(_ text: String) throws(AlarmRuleError) -> FormulaCodeHandle {
            do {
                return pool.add(try FormulaCompiler.compile(text, resolve: resolve))
            } catch {
                throw AlarmRuleError(.condition, column: error.column, error.message)
            }
        }
        func point(_ name: String) throws(AlarmRuleError) -> Int {
            guard let s = resolve(name), UInt32(exactly: s) != nil else {
                throw AlarmRuleError(.condition, "unknown point \"\(name)\"")
            }
            return s
        }
        switch d.condition {
        case .expression(let text):
            code = try formula(text)
        case .high(let p, let l, let h), .low(let p, let l, let h):
            if case .high = d.condition { kind = .above } else { kind = .below }
            guard l.isFinite, h.isFinite, h >= 0 else {
                throw AlarmRuleError(.condition, "the limit must be a number and the hysteresis a number ≥ 0")
            }
            code = try formula(p)
            limit = l
            hysteresis = h
        case .rateOfChange(let p, let perSecond):
            guard perSecond.isFinite, perSecond > 0 else { throw AlarmRuleError(.condition, "the rate must be a number > 0") }
            kind = .rateOfChange
            slot = try point(p)
            limit = perSecond
        case .stateChange(let p):
            kind = .stateChange
            slot = try point(p)
        case .stale(let p, let after):
            guard after > 0 else { throw AlarmRuleError(.condition, "the stale time must be > 0 ms") }
            kind = .stale
            slot = try point(p)
            limit = Double(after)
        case .offline:
            kind = .offline
        }
        guard d.onDelayMilliseconds <= AlarmRuleSetBuilder.maximumDelayMilliseconds,
              d.offDelayMilliseconds <= AlarmRuleSetBuilder.maximumDelayMilliseconds else {
            throw AlarmRuleError(.condition, "delays must be at most \(AlarmRuleSetBuilder.maximumDelayMilliseconds) ms (one day)")
        }
        // The message template: {POINT} becomes the placeholder byte and a capture index.
        var message: [UInt8] = []
        let bytes = Array(d.message.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x20 { throw AlarmRuleError(.message, column: i + 1, "control character in the message") }
            guard b == UInt8(ascii: "{") else { message.append(b); i += 1; continue }
            guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) else {
                throw AlarmRuleError(.message, column: i + 1, "\"{\" without a closing \"}\"")
            }
            let name = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
            guard !name.isEmpty else { throw AlarmRuleError(.message, column: i + 1, "empty placeholder \"{}\"") }
            guard let s = resolve(name), UInt32(exactly: s) != nil else {
                throw AlarmRuleError(.message, column: i + 2, "unknown point \"\(name)\"")
            }
            guard let k = capture(s) else {
                throw AlarmRuleError(.message, column: i + 1, "more than \(AlarmRuleSetBuilder.maximumCaptures) different points in the message and outputs")
            }
            message.append(AlarmMessage.placeholder)
            message.append(k)
            i = close + 1
        }
        guard message.count <= AlarmText.maximumLength else {
            throw AlarmRuleError(.message, "message longer than \(AlarmText.maximumLength) bytes")
        }
        // The outputs.
        guard d.outputs.count <= AlarmRuleSetBuilder.maximumOutputs else {
            throw AlarmRuleError(.output(AlarmRuleSetBuilder.maximumOutputs), "more than \(AlarmRuleSetBuilder.maximumOutputs) outputs")
        }
        var texts = set.texts
        var interned = internedTexts
        func text(_ b: [UInt8]) -> AlarmText {
            if let t = interned[b] { return t }
            let t = AlarmText(start: texts.count, count: b.count)
            texts.append(contentsOf: b)
            interned[b] = t
            return t
        }
        var outputs: [AlarmOutput] = []
        for (k, o) in d.outputs.enumerated() {
            if let problem = AlarmRuleSetBuilder.identifierProblem(o.identifier) { throw AlarmRuleError(.output(k), problem) }
            if d.outputs[..<k].contains(where: { $0.identifier == o.identifier }) {
                throw AlarmRuleError(.output(k), "duplicate output id \"\(o.identifier)\"")
            }
            var source = AlarmOutput.Source.point
            var index: UInt8 = 0
            switch o.source {
            case .point(let name):
                guard let s = resolve(name), UInt32(exactly: s) != nil else {
                    throw AlarmRuleError(.output(k), "unknown point \"\(name)\"")
                }
                guard let c = capture(s) else {
                    throw AlarmRuleError(.output(k), "more than \(AlarmRuleSetBuilder.maximumCaptures) different points in the message and outputs")
                }
                index = c
            case .message: source = .message
            case .level: source = .level
            case .state: source = .state
            case .rule: source = .rule
            }
            outputs.append(AlarmOutput(identifier: text(Array(o.identifier.utf8)), source: source, capture: index))
        }
        let identifier = text(Array(d.identifier.utf8))
        let eventId = text(Array(d.eventId.utf8))
        let messageText = text(message)
        guard texts.count < AlarmText.poolLimit else { throw AlarmRuleError(.identifier, "the alarm texts exceed 16 MB") }
        var outputStart = UInt32(set.outputs.count)
        var outputPool = set.outputs
        if let start = internedOutputs[outputs] {
            outputStart = start
        } else {
            outputPool.append(contentsOf: outputs)
            internedOutputs[outputs] = outputStart
        }
        // Commit.
        set.rules.append(AlarmRule(
            kind: kind, level: d.level, captureCount: UInt8(captures.count), outputCount: UInt8(outputs.count),
            device: UInt32(d.device), code: code, slot: UInt32(slot),
            onDelayMilliseconds: d.onDelayMilliseconds, offDelayMilliseconds: d.offDelayMilliseconds,
            limit: limit, hysteresis: hysteresis, fingerprint: fingerprint, identifier: identifier, eventId: eventId,
            message: messageText, captureStart: UInt32(set.captures.count), outputStart: outputStart))
        set.captures.append(contentsOf: captures)
        set.code = pool
        set.texts = texts
        set.outputs = outputPool
        internedTexts = interned
        identifiers[fingerprint] = d.identifier
    }

    /// The finished set, every array trimmed to its size.
    public func finish() -> AlarmRuleSet {
        var s = set
        s.rules = AlarmRuleSetBuilder.trimmed(s.rules)
        s.code.shrink()
        s.texts = AlarmRuleSetBuilder.trimmed(s.texts)
        s.captures = AlarmRuleSetBuilder.trimmed(s.captures)
        s.outputs = AlarmRuleSetBuilder.trimmed(s.outputs)
        return s
    }

    /// A copy whose capacity is its count (a plain `Array(a)` shares the grown buffer).
    static func trimmed<T>(_ a: [T]) -> [T] {
        var copy: [T] = []
        copy.reserveCapacity(a.count)
        copy.append(contentsOf: a)
        return copy
    }

    /// Why `id` cannot be an identifier (alarm, event, output), or nil: 1 to 64 bytes of letters,
    /// digits, `_`, `-` and `.` (it appears in MQTT topics and JSON keys).
    public static func identifierProblem(_ id: String) -> String? {
        if id.isEmpty { return "empty identifier" }
        if id.utf8.count > 64 { return "identifier \"\(id)\" is longer than 64 bytes" }
        for b in id.utf8 {
            let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".")
            if !ok { return "identifier \"\(id)\" may hold only letters, digits, \"_\", \"-\" and \".\"" }
        }
        return nil
    }
}
