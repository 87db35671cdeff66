import EdgeCore

/// The OTA side of the agent's start: what the boot state says about this boot, the health
/// check it arms, and what the agent must report. Built once at start from the bootloader
/// environment and the booted slot; then the agent feeds observations as they happen and asks
/// on each loop turn (wake-up at `nextDeadline`):
///
///     var health = StartupHealth.begin(environment: &env, booted: booted, runningVersion: BuildInfo.version,
///                                      now: clock.monotonicNow())
///     health.observe(.configLoaded) … .ringLogOpened … .uplinkConnected … .pollSucceeded
///     switch health.poll(now: clock.monotonicNow(), environment: &env) {
///     case .none, .markedGood: break
///     case .upgradeCompleted(let version): send progress "100", then ota.device.inform(version)
///     case .upgradeFailed(let report, let running): send progress report, then inform(running)
///     case .deadlineMissed(let missing): log it; exit(OTAExitStatus.healthCheckFailed)
///     case .environmentFailed(let reason): log it (a trial then falls back by itself)
///     }
///
/// - A trial boot (the slot activated by an upgrade, not yet good) must see all four
///   observations before `trialTimeoutMilliseconds`; then it is marked good
///   (`upgradeCompleted`), else `deadlineMissed` and the agent exits without marking good, so
///   the bootloader's counter runs on and the previous slot comes back.
/// - A committed slot is marked good (counter reset, as RAUC's mark-good service does on every
///   boot) once the configuration loaded and the ring log opened: an uplink outage must never
///   send a gateway back to older firmware, so it has no deadline.
/// - A boot that fell back (the previous trial ran out of attempts) yields `upgradeFailed`
///   once, with step `-1` and the reason; the failed slot is left at 0 attempts.
/// - Without a booted slot from the kernel command line, or a BOOT_ORDER that does not name it,
///   nothing is marked or reported.
/// Each final outcome is returned once; `poll` then says `.none`. Allocation: only when an
/// outcome is produced (its strings).
public struct StartupHealth: Sendable {
    /// What the agent observed.
    public enum Event: Sendable {
        case configLoaded, ringLogOpened, uplinkConnected, pollSucceeded

        var condition: HealthCheck.Conditions {
            switch self {
            case .configLoaded: return .configLoaded
            case .ringLogOpened: return .ringLogOpen
            case .uplinkConnected: return .uplinkConnected
            case .pollSucceeded: return .pollSucceeded
            }
        }
    }

    /// What the agent must do now.
    public enum Outcome: Equatable, Sendable {
        case none
        /// A committed slot passed its start-up check; its counter was reset.
        case markedGood(version: String)
        /// The trial passed: report step 100, then `ota.device.inform` with `version`.
        case upgradeCompleted(version: String)
        /// The previous trial failed and the bootloader fell back: report `progress`, then
        /// `ota.device.inform` with `runningVersion`.
        case upgradeFailed(progress: UpgradeProgress, runningVersion: String)
        /// The trial missed its deadline: exit with `OTAExitStatus.healthCheckFailed`.
        case deadlineMissed(missing: String)
        /// The environment could not be written (mark good or the fallback's acknowledgement).
        case environmentFailed(String)
    }

    /// What this boot is.
    public enum Mode: Equatable, Sendable {
        case trial, committed, unmanaged
    }

    public static let defaultTrialTimeoutMilliseconds: UInt64 = 180_000

    public let mode: Mode
    public let booted: BootSlotName?
    public let runningVersion: String
    private var check: HealthCheck
    private var pending: Outcome = .none
    private var done = false

    private init(mode: Mode, booted: BootSlotName?, runningVersion: String, check: HealthCheck) {
        self.mode = mode
        self.booted = booted
        self.runningVersion = runningVersion
        self.check = check
    }

    /// Reads the boot state. After a fallback it also acknowledges it (the booted slot first
    /// again, the failed one at 0 attempts, saved) so it is reported once.
    public static func begin<S: EnvironmentStorage>(environment: inout BootEnvironment<S>, booted: BootedSlot?, runningVersion: String,
                                                    now: MonotonicInstant,
                                                    trialTimeoutMilliseconds: UInt64 = defaultTrialTimeoutMilliseconds) -> StartupHealth {
        let committedCheck = HealthCheck(start: now, timeoutMilliseconds: UInt64.max / 2_000_000, required: [.configLoaded, .ringLogOpen])
        guard let booted, booted.source == .commandLine else {
            return StartupHealth(mode: .unmanaged, booted: nil, runningVersion: runningVersion, check: committedCheck)
        }
        let slot = booted.slot
        switch SlotActivation.check(environment, booted: slot) {
        case .trial:
            return StartupHealth(mode: .trial, booted: slot, runningVersion: runningVersion,
                                 check: HealthCheck(start: now, timeoutMilliseconds: trialTimeoutMilliseconds))
        case .primary:
            return StartupHealth(mode: .committed, booted: slot, runningVersion: runningVersion, check: committedCheck)
        case .unmanaged:
            return StartupHealth(mode: .unmanaged, booted: slot, runningVersion: runningVersion, check: committedCheck)
        case .rolledBack(let failed):
            let failedVersion = environment.value(SlotActivation.versionVariable(failed)) ?? "the new firmware"
            var health = StartupHealth(mode: .committed, booted: slot, runningVersion: runningVersion, check: committedCheck)
            do throws(BootEnvironmentError) {
                try SlotActivation.acknowledgeRollback(&environment, booted: slot)
                let desc = "upgrade to \(failedVersion) failed: slot \(failed.letter) did not pass its health check within \(Bootchooser.defaultAttempts) boots; back on slot \(slot.letter), \(runningVersion)"
                health.pending = .upgradeFailed(progress: UpgradeProgress(step: UpgradeProgress.generic, desc: desc),
                                                runningVersion: runningVersion)
            } catch {
                health.pending = .environmentFailed(error.description)
            }
            return health
        }
    }

    /// Records an observation (ignored once decided, and on unmanaged boots).
    public mutating func observe(_ event: Event) {
        check.record(event.condition)
    }

    /// When `poll` must run next at the latest: the trial's deadline while it is pending.
    public var nextDeadline: MonotonicInstant? {
        mode == .trial && !done ? check.deadline : nil
    }

    /// True while nothing final was decided (the agent may show "on trial" on the console).
    public var isPending: Bool { !done && mode != .unmanaged }

    /// The observations still missing, by name ("uplink, poll").
    public var missing: String { check.required.subtracting(check.met).names }

    /// What to do now (see the type's doc); each final outcome once.
    public mutating func poll<S: EnvironmentStorage>(now: MonotonicInstant, environment: inout BootEnvironment<S>) -> Outcome {
        if pending != .none {
            let outcome = pending
            pending = .none
            return outcome
        }
        guard !done, mode != .unmanaged, let booted else { return .none }
        switch check.verdict(now: now) {
        case .pending:
            return .none
        case .deadlineMissed(let missing):
            done = true
            return mode == .trial ? .deadlineMissed(missing: missing.names) : .none
        case .healthy:
            done = true
            do throws(BootEnvironmentError) {
                let endedTrial = try SlotActivation.markGood(&environment, booted: booted)
                return endedTrial || mode == .trial ? .upgradeCompleted(version: runningVersion) : .markedGood(version: runningVersion)
            } catch {
                return .environmentFailed(error.description)
            }
        }
    }

    /// The `ota.device.progress` report that completes an upgrade (step 100).
    public static func completedProgress(version: String) -> UpgradeProgress {
        UpgradeProgress(step: 100, desc: "upgraded to \(version): health check passed")
    }
}
