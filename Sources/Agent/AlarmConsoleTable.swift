import EdgeAlarms

/// What the console's `alarms` command shows, copied out of the loop's `AlarmStation` with the
/// rest of the snapshot: per rule its state, whether it is raised and since when, and its last
/// raise or clear (the record's bytes: kind, time and captured values, in the station's slot
/// layout, `AlarmRecordSlots`). Sized at init from the rules; `copy` writes in place and
/// allocates nothing.
public struct AlarmConsoleTable: Sendable {
    public let rules: AlarmRuleSet
    let slots: AlarmRecordSlots
    var states: [UInt8]
    var raisedAt: [Int64]
    var lastRecords: [UInt8]

    init(_ rules: AlarmRuleSet) {
        self.rules = rules
        slots = AlarmRecordSlots(rules)
        states = [UInt8](repeating: 0, count: rules.count)
        raisedAt = [Int64](repeating: Int64.min, count: rules.count)
        lastRecords = [UInt8](repeating: 0, count: slots.byteCount)
    }

    mutating func copy(from station: AlarmStation) {
        var r = 0
        while r < states.count && r < station.rules.count {
            states[r] = station.evaluator.state(r).rawValue
            raisedAt[r] = station.evaluator.raisedAt(r) ?? Int64.min
            r += 1
        }
        let n = min(lastRecords.count, station.recordSlots.byteCount)
        lastRecords.withUnsafeMutableBytes { to in
            UnsafeMutableRawBufferPointer(rebasing: to[0..<n]).copyMemory(from: UnsafeRawBufferPointer(rebasing: station.lastRecords[0..<n]))
        }
    }

    public var count: Int { states.count }

    public func state(_ r: Int) -> AlarmState { AlarmState(rawValue: states[r]) ?? .unknown }

    /// When rule `r`'s alarm was raised, nil when it is not.
    public func raisedAt(_ r: Int) -> Int64? { raisedAt[r] == Int64.min ? nil : raisedAt[r] }

    /// Calls `body` with rule `r`'s last raise or clear, if it had one since start (or recovered).
    public func withLastTransition<R>(_ r: Int, _ body: (AlarmRecordView) -> R) -> R? {
        lastRecords.withUnsafeBytes { all in
            guard let view = slots.record(r, in: all) else { return nil }
            return body(view)
        }
    }
}
