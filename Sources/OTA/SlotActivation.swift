/// The boot-state steps of an A/B update on RAUC's bootchooser variables, each ending in a
/// durable `save()` of the bootloader environment, in the order that keeps a power cut safe:
///
/// 1. `prepare`: the target slot's counter to 0 before a byte of it is written, so a
///    half-written slot is never tried, even if the booted slot later fails.
/// 2. (the image is streamed into the target, verified and fdatasync'ed)
/// 3. `activate`: counter before order, as RAUC does: first `BOOT_x_LEFT` = attempts (and the
///    slot's version, for `ota status`), saved; only then `BOOT_ORDER` with the slot first, saved.
///    A cut between the two leaves the old order, so the old slot boots.
/// 4. after the reboot, `check` tells a trial that fell back; `markGood` resets the booted
///    slot's counter once the health check passed.
///
/// With a redundant environment each save is atomic (the other copy is written), so a cut
/// anywhere leaves either the previous or the next state.
public enum SlotActivation {
    /// `EDGE_VERSION_A` / `EDGE_VERSION_B`: the version installed in a slot (not a RAUC variable).
    public static func versionVariable(_ slot: BootSlotName) -> String { slot == .a ? "EDGE_VERSION_A" : "EDGE_VERSION_B" }

    /// `EDGE_TRIAL`: the slot activated on trial and not yet marked good (not a RAUC variable).
    /// Lets the new firmware know it must report the upgrade's completion after its health
    /// check, and the old one know that a trial failed.
    public static let trialVariable = "EDGE_TRIAL"

    /// Step 1: makes the target unbootable before it is written.
    public static func prepare<S: EnvironmentStorage>(_ env: inout BootEnvironment<S>, target: BootSlotName) throws(BootEnvironmentError) {
        try Bootchooser.setAttempts(&env, target, 0)
        try env.set(versionVariable(target), nil)
        if Bootchooser.order(env) == nil {
            // No order yet (fresh environment): the booted slot is the only bootable one.
            try Bootchooser.setOrder(&env, [target.other, target])
            if Bootchooser.attemptsLeft(env, target.other) == nil {
                try Bootchooser.setAttempts(&env, target.other, Bootchooser.defaultAttempts)
            }
        }
        try env.save()
    }

    /// Step 3: the verified target boots next, on trial for `attempts` boots.
    public static func activate<S: EnvironmentStorage>(_ env: inout BootEnvironment<S>, target: BootSlotName, version: FirmwareVersion,
                                                       attempts: Int = Bootchooser.defaultAttempts) throws(BootEnvironmentError) {
        try Bootchooser.setAttempts(&env, target, attempts)
        try env.set(versionVariable(target), version.description)
        try env.set(trialVariable, target.letter)
        try env.save()
        try Bootchooser.setOrder(&env, Bootchooser.orderWithPrimary(env, target))
        try env.save()
    }

    /// After a successful health check: the booted slot's counter back to `attempts` (RAUC's
    /// "mark good"), and its trial, if any, ended. Saves only when something changes. Returns
    /// true when this committed a trial (report step 100 and `ota.device.inform`).
    @discardableResult
    public static func markGood<S: EnvironmentStorage>(_ env: inout BootEnvironment<S>, booted: BootSlotName,
                                                       attempts: Int = Bootchooser.defaultAttempts) throws(BootEnvironmentError) -> Bool {
        let onTrial = env.value(trialVariable) == booted.letter
        guard Bootchooser.attemptsLeft(env, booted) != attempts || onTrial else { return false }
        try Bootchooser.setAttempts(&env, booted, attempts)
        if onTrial { try env.set(trialVariable, nil) }
        try env.save()
        return onTrial
    }

    /// What the boot state says about the slot now running.
    public enum BootCheck: Equatable, Sendable {
        /// The booted slot is first in BOOT_ORDER, committed: pass the health check and
        /// `markGood` on every boot (the bootloader decrements the counter on each).
        case primary(attemptsLeft: Int)
        /// The booted slot is first and on trial (`EDGE_TRIAL`): the first boots of a new image,
        /// which must pass its health check before its attempts run out.
        case trial(attemptsLeft: Int)
        /// The booted slot is not first: the first one ran out of attempts (crashed or missed
        /// its health deadline) and the bootloader fell back. Report the failure.
        case rolledBack(failed: BootSlotName)
        /// BOOT_ORDER is missing or does not name the booted slot.
        case unmanaged
    }

    public static func check<S: EnvironmentStorage>(_ env: borrowing BootEnvironment<S>, booted: BootSlotName) -> BootCheck {
        guard let order = Bootchooser.order(env), let first = order.first, order.contains(booted) else { return .unmanaged }
        if first == booted {
            let left = Bootchooser.attemptsLeft(env, booted) ?? 0
            return env.value(trialVariable) == booted.letter ? .trial(attemptsLeft: left) : .primary(attemptsLeft: left)
        }
        return .rolledBack(failed: first)
    }

    /// After reporting a fallback: the booted slot first again, the failed slot left at 0
    /// attempts (so it is not retried and the failure is reported once).
    public static func acknowledgeRollback<S: EnvironmentStorage>(_ env: inout BootEnvironment<S>, booted: BootSlotName) throws(BootEnvironmentError) {
        try Bootchooser.setAttempts(&env, booted.other, 0)
        try Bootchooser.setOrder(&env, Bootchooser.orderWithPrimary(env, booted))
        try env.set(trialVariable, nil)
        try env.save()
    }
}
