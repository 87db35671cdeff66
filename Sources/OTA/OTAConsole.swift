import EdgeCore

/// The technician's `ota …` console commands, written into the console's `TextWriter` so the
/// serial console (Console's `ConsoleBackend.otaStatus/otaInstall/otaMarkGood`, implemented by
/// the agent) and `edge-agent ota status|mark-good` print the same text. Independent of the
/// console module: the agent passes its environment, booted slot, health check and running
/// upgrade in, and maps the results to console replies.
///
/// Output is bounded by the writer's buffer (what does not fit is cut and marked by the
/// writer). `status` reads variables from the environment (which allocates their strings): a
/// technician's command, not a steady-state path.
public enum OTAConsole {
    /// `ota status`: the environment's copy, BOOT_ORDER, each slot's counter and version, the
    /// booted slot and how it is known, the boot state (trial / committed / fallback), the next
    /// boot, the start-up health check while pending, and a running upgrade.
    public static func status<S: EnvironmentStorage>(environment env: borrowing BootEnvironment<S>, booted: BootedSlot?,
                                                     health: StartupHealth? = nil, upgrade: UpgradeJobSummary? = nil,
                                                     into out: inout TextWriter) {
        if env.config.isRedundant {
            out.write("environment: copy "); out.write(env.currentCopy); out.write(" of 2, flags "); out.write(env.currentFlags)
        } else {
            out.write("environment: single copy")
        }
        out.newline()
        out.write("BOOT_ORDER: "); out.write(env.value(Bootchooser.orderVariable) ?? "(unset)"); out.newline()
        for slot in [BootSlotName.a, .b] {
            out.write("slot "); out.write(slot.letter); out.write(": attempts left ")
            if let left = Bootchooser.attemptsLeft(env, slot) { out.write(left) } else { out.write("(unset)") }
            out.write(", version "); out.write(env.value(SlotActivation.versionVariable(slot)) ?? "unknown")
            if booted?.slot == slot { out.write("  <- booted") }
            out.newline()
        }
        if let booted {
            out.write("booted: "); out.write(booted.slot.letter)
            out.write(booted.source == .commandLine ? " (kernel command line)" : " (guessed from BOOT_ORDER)")
            out.newline()
            switch SlotActivation.check(env, booted: booted.slot) {
            case .primary(let left):
                out.write("state: primary, "); out.write(left); out.write(" attempts left until fallback")
            case .trial(let left):
                out.write("state: ON TRIAL, "); out.write(left); out.write(" attempts left to pass the health check")
            case .rolledBack(let failed):
                out.write("state: ROLLED BACK: slot "); out.write(failed.letter); out.write(" failed its trial")
            case .unmanaged:
                out.write("state: BOOT_ORDER does not name the booted slot")
            }
            out.newline()
        } else {
            out.line("booted: unknown")
        }
        out.write("next boot: ")
        if let next = Bootchooser.nextBoot(env) { out.write(next.letter) } else { out.write("none (bootloader resets the counters)") }
        out.newline()
        if let health, health.isPending {
            out.write("health check: waiting for "); out.write(health.missing)
            if health.mode == .trial { out.write(" (trial: not marked good until then)") }
            out.newline()
        }
        if let upgrade {
            out.write("upgrade: "); out.write(upgrade.version.isEmpty ? "(unversioned image)" : upgrade.version)
            out.write(" into slot "); out.write(upgrade.target.letter); out.write(", ")
            out.write(upgrade.received)
            if let total = upgrade.total {
                out.write(" of "); out.write(total); out.write(" bytes ("); out.write(upgrade.received * 100 / max(total, 1)); out.write("%)")
            } else {
                out.write(" bytes")
            }
            if upgrade.drops > 0 { out.write(", resumed "); out.write(upgrade.drops); out.write(" times") }
            out.newline()
        }
    }

    /// `ota mark-good`: acknowledges a fallback if there was one, then resets the booted slot's
    /// counter (ending its trial). Refused (false) unless the kernel command line names the booted
    /// slot.
    @discardableResult
    public static func markGood<S: EnvironmentStorage>(environment env: inout BootEnvironment<S>, booted: BootedSlot?,
                                                       into out: inout TextWriter) -> Bool {
        guard let booted, booted.source == .commandLine else {
            out.write(SlotError.bootedSlotUnknown.description); out.newline()
            return false
        }
        do throws(BootEnvironmentError) {
            if case .rolledBack(let failed) = SlotActivation.check(env, booted: booted.slot) {
                out.write("slot "); out.write(failed.letter); out.write(" failed its trial; running slot "); out.write(booted.slot.letter)
                out.newline()
                try SlotActivation.acknowledgeRollback(&env, booted: booted.slot)
            }
            if try SlotActivation.markGood(&env, booted: booted.slot) {
                out.write("trial of slot "); out.write(booted.slot.letter); out.write(" committed"); out.newline()
            }
        } catch {
            out.write("mark-good failed: "); out.write(error.description); out.newline()
            return false
        }
        out.write("slot "); out.write(booted.slot.letter); out.write(" marked good ("); out.write(Bootchooser.defaultAttempts)
        out.write(" attempts)"); out.newline()
        return true
    }

    /// `ota install URL`: the order for a technician's install (the image's own digest and
    /// signature are the checks), or nil with the reason written (not an http(s) URL, an
    /// upgrade already running). The agent starts an `UpgradeJob` with it and shows its
    /// progress with `progress(_:into:)`.
    public static func installOrder(url: String, upgradeRunning: Bool, into out: inout TextWriter) -> UpgradeOrder? {
        if upgradeRunning {
            out.line("ota install: an upgrade is already running (see ota status)")
            return nil
        }
        guard HTTPURL(url) != nil else {
            out.line("ota install: expected http://host[:port]/path or https://…")
            return nil
        }
        out.write("ota install: downloading "); out.write(url); out.newline()
        return UpgradeOrder(installing: url)
    }

    /// One progress report as a console line: `ota: 35% downloading firmware`,
    /// `ota: FAILED (-3) image refused: …`.
    public static func progress(_ report: UpgradeProgress, into out: inout TextWriter) {
        if report.isFailure {
            out.write("ota: FAILED ("); out.write(report.step); out.write(") ")
        } else {
            out.write("ota: "); out.write(report.step); out.write("% ")
        }
        out.write(report.desc)
        out.newline()
    }
}
