/// RAUC's U-Boot bootchooser variables over a `BootEnvironment`: `BOOT_ORDER` (space-separated
/// slot names, first tried first) and `BOOT_A_LEFT`/`BOOT_B_LEFT` (boot attempts left). The
/// bootloader script picks the first slot in the order whose counter is above zero and
/// decrements that counter before booting it; a slot that never gets marked good runs its
/// counter out and the next slot in the order boots.
///
/// These helpers only edit the working copy; the caller decides when to `save()`, so it
/// controls the order of durable steps ("counter before order").
public enum Bootchooser {
    /// The default number of attempts RAUC gives a slot (its `boot-attempts`).
    public static let defaultAttempts = 3
    public static let orderVariable = "BOOT_ORDER"

    /// The slots named in `BOOT_ORDER`, in order (unknown names skipped, duplicates kept once).
    /// nil when the variable is absent.
    public static func order<S: EnvironmentStorage>(_ env: borrowing BootEnvironment<S>) -> [BootSlotName]? {
        guard let text = env.value(orderVariable) else { return nil }
        var result: [BootSlotName] = []
        for word in text.split(separator: " ") {
            if let slot = BootSlotName(word), !result.contains(slot) { result.append(slot) }
        }
        return result
    }

    /// `BOOT_x_LEFT` as a number; nil when absent or not a decimal number.
    public static func attemptsLeft<S: EnvironmentStorage>(_ env: borrowing BootEnvironment<S>, _ slot: BootSlotName) -> Int? {
        guard let text = env.value(slot.attemptsVariable), !text.isEmpty, text.utf8.count <= 9 else { return nil }
        var value = 0
        for c in text.utf8 {
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        return value
    }

    /// Sets `BOOT_x_LEFT`.
    public static func setAttempts<S: EnvironmentStorage>(_ env: inout BootEnvironment<S>, _ slot: BootSlotName, _ count: Int) throws(BootEnvironmentError) {
        try env.set(slot.attemptsVariable, "\(max(count, 0))")
    }

    /// Sets `BOOT_ORDER` to the given slots, space-separated.
    public static func setOrder<S: EnvironmentStorage>(_ env: inout BootEnvironment<S>, _ slots: [BootSlotName]) throws(BootEnvironmentError) {
        var text = ""
        for slot in slots {
            if !text.isEmpty { text += " " }
            text += slot.letter
        }
        try env.set(orderVariable, text)
    }

    /// `slot` first, then the other slots of the current order (RAUC's `set_primary`).
    public static func orderWithPrimary<S: EnvironmentStorage>(_ env: borrowing BootEnvironment<S>, _ slot: BootSlotName) -> [BootSlotName] {
        var result: [BootSlotName] = [slot]
        for other in order(env) ?? [.a, .b] where other != slot { result.append(other) }
        if !result.contains(slot.other) { result.append(slot.other) }
        return result
    }

    /// The slot the bootloader would pick now: the first in `BOOT_ORDER` with attempts left.
    public static func nextBoot<S: EnvironmentStorage>(_ env: borrowing BootEnvironment<S>) -> BootSlotName? {
        for slot in order(env) ?? [] where (attemptsLeft(env, slot) ?? 0) > 0 { return slot }
        return nil
    }
}
