import EdgeAlarms

/// What the console's `alarms` command shows, copied out of the loop's `AlarmStation` with the
/// rest of the snapshot: per rule its state, whether it is raised and since when, and its last
/// raise or clear (the record's bytes: time and captured values). Sized at init from the rules;
/// `copy` writes element by element and allocates nothing.
public struct AlarmConsoleTable: Sendable {
    public let rules: AlarmRuleSet
    var states: [UInt8]
    var raisedAt: [Int64]
    var lastKinds: [UInt8]
    var lastRecords: [UInt8]

    init(_ rules: AlarmRuleSet) {
        self.rules = rules
        states = [UInt8](repeating: 0, count: rules.count)
        raisedAt = [Int64](repeating: Int64.min, count: rules.count)
        lastKinds = [UInt8](repeating: 0, count: rules.count)
        lastRecords = [UInt8](repeating: 0, count: rules.count * AlarmRecord.maximumSize)
    }

    mutating func copy(from station: AlarmStation) {
        var r = 0
        while r < states.count && r < station.rules.count {
            states[r] = station.evaluator.state(r).rawValue
            raisedAt[r] = station.evaluator.raisedAt(r) ?? Int64.min
            lastKinds[r] = station.lastKinds[r]
            let from = r * AlarmRecord.maximumSize
            lastRecords.withUnsafeMutableBytes { to in
                let source = UnsafeRawBufferPointer(rebasing: station.lastRecords[from..<(from + AlarmRecord.maximumSize)])
                UnsafeMutableRawBufferPointer(rebasing: to[from..<(from + AlarmRecord.maximumSize)]).copyMemory(from: source)
            }
            r += 1
        }
    }

    public var count: Int { states.count }

    public func state(_ r: Int) -> AlarmState { AlarmState(rawValue: states[r]) ?? .unknown }

    /// When rule `r`'s alarm was raised, nil when it is not.
    public func raisedAt(_ r: Int) -> Int64? { raisedAt[r] == Int64.min ? nil : raisedAt[r] }

    /// Calls `body` with rule `r`'s last raise or clear, if it had one since start (or recovered).
    public func withLastTransition<R>(_ r: Int, _ body: (AlarmRecordView) -> R) -> R? {
        guard AlarmTransition.Kind(rawValue: lastKinds[r]) != nil else { return nil }
        return lastRecords.withUnsafeBytes { all in
            let from = r * AlarmRecord.maximumSize
            let n = AlarmRecord.headerSize + Int(all[from + 3]) * AlarmRecord.valueSize
            guard let view = try? AlarmRecordView(UnsafeRawBufferPointer(rebasing: all[from..<(from + n)])) else { return nil }
            return body(view)
        }
    }
}
