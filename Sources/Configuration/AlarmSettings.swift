import EdgeAlarms

/// The `alarms` section, compiled: the rules (`AlarmRuleSet`, conditions in the formula language)
/// and the input-slot layout they were compiled against: the slot of point `p` of device `d` is
/// `slotBase[d] + p` (points in template order), `slotCount` slots in all. The agent sizes its
/// alarm input buffers from it once. Empty when the section is absent.
public struct AlarmSettings: Equatable, Sendable {
    public var rules: AlarmRuleSet
    public var slotBase: [Int]
    public var slotCount: Int

    public init(rules: AlarmRuleSet = AlarmRuleSet(), slotBase: [Int] = [], slotCount: Int = 0) {
        self.rules = rules
        self.slotBase = slotBase
        self.slotCount = slotCount
    }
}
