/// The one id of a control request, from the cloud command (or the console) to the field-bus
/// writes (`WriteCommand.id`) and their results, and back to the reply: `ControlRequest.id`,
/// `ControlReply.id`, the key of the reply handle in the uplink and of the command in
/// `ControlTable`. Ids are numbers drawn in sequence, not places in a table: nothing about them
/// depends on a table's capacity. The top bit splits the space: clear for cloud commands, set for
/// the console's writes and commissioning reads, so a result is never taken for the other's.
public enum ControlRequestId {
    static let consoleBit: UInt32 = 0x8000_0000

    /// The cloud command id after `previous` (0 before the first): 1, 2, … 2^31 - 1, then 1 again.
    public static func cloud(after previous: UInt32) -> UInt32 {
        let next = (previous & ~consoleBit) &+ 1
        return next & consoleBit != 0 ? 1 : next
    }

    /// The id of the console's request number `sequence`.
    public static func console(_ sequence: UInt32) -> UInt32 { consoleBit | sequence & ~consoleBit }

    /// True for an id of the console's.
    public static func isConsole(_ id: UInt32) -> Bool { id & consoleBit != 0 }
}
