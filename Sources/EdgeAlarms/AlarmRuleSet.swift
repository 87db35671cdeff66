import EdgeCompute

/// A configuration's alarm rules, compiled: fixed arrays built once at load (`AlarmRuleSetBuilder`)
/// and never grown afterwards. Identical texts and output lists are stored once, so that rules
/// stamped from one device template cost little more than their identifier.
public struct AlarmRuleSet: Equatable, Sendable {
    public internal(set) var rules: [AlarmRule] = []
    public internal(set) var code = FormulaCodePool()
    /// UTF-8 of identifiers, event ids, output ids and message templates.
    public internal(set) var texts: [UInt8] = []
    /// Input slots whose values are recorded with the transitions.
    public internal(set) var captures: [UInt32] = []
    public internal(set) var outputs: [AlarmOutput] = []

    public init() {}

    public var count: Int { rules.count }

    /// Bytes the set holds (array capacities; each array adds one allocation header).
    public var memoryBytes: Int {
        rules.capacity * MemoryLayout<AlarmRule>.stride + code.memoryBytes + texts.capacity
            + captures.capacity * MemoryLayout<UInt32>.stride + outputs.capacity * MemoryLayout<AlarmOutput>.stride
    }

    /// Calls `body` with the bytes of `text`.
    public func withBytes<R>(_ text: AlarmText, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        texts.withUnsafeBytes { all in
            let start = min(text.start, all.count)
            return body(UnsafeRawBufferPointer(rebasing: all[start..<min(start + text.count, all.count)]))
        }
    }

    /// The text as a String (allocates: console and tests).
    public func string(_ text: AlarmText) -> String {
        withBytes(text) { String(decoding: $0, as: UTF8.self) }
    }

    /// The index of the rule a stored record names: `hint` if its fingerprint matches, otherwise
    /// the first rule with `fingerprint` (the configuration changed order), nil when none has it.
    public func index(fingerprint: UInt32, hint: Int) -> Int? {
        if hint >= 0, hint < rules.count, rules[hint].fingerprint == fingerprint { return hint }
        for i in rules.indices where rules[i].fingerprint == fingerprint { return i }
        return nil
    }

    /// The index of the rule called `identifier`.
    public func index(of identifier: String) -> Int? {
        let f = AlarmRule.fingerprint(identifier.utf8)
        for i in rules.indices where rules[i].fingerprint == f && string(rules[i].identifier) == identifier { return i }
        return nil
    }
}
