import EdgeCore
import OTA

/// The console's `ota status`, `ota install URL` and `ota mark-good` answered by the running
/// agent's `AgentOTA` (the console hands them over: `AgentConsole.takeOTARequest`), and the
/// progress lines it shows as notices. A technician's install runs like a cloud order (same job,
/// same checks, same reboot) but reports to the console and the log only.
extension AgentOTA {
    /// Writes the answer to `request` (and starts an install).
    public mutating func answer(_ request: AgentConsoleOTARequest, now: MonotonicInstant, into out: inout TextWriter) {
        switch request {
        case .status:
            guard environment != nil else {
                out.write("ota: "); out.write(unavailable ?? "not set up"); out.newline()
                return
            }
            OTAConsole.status(environment: environment!, booted: booted, health: health, upgrade: jobSummary, into: &out)
            if let unavailable { out.write("upgrades refused: "); out.write(unavailable); out.newline() }
        case .markGood:
            guard environment != nil else {
                out.write("ota: "); out.write(unavailable ?? "not set up"); out.newline()
                return
            }
            let trialPending = health?.mode == .trial && health?.isPending == true
            let ok = OTAConsole.markGood(environment: &environment!, booted: booted, into: &out)
            note(.info, "ota: console: mark-good " + (ok ? "done" : "refused"))
            if ok && trialPending {
                // The technician ended the trial: the cloud's task completes as after the health check.
                health = nil
                enqueue(.progress(StartupHealth.completedProgress(version: runningVersion), tag: takeTag()))
                enqueue(.inform(runningVersion, tag: takeTag()))
            }
        case .install(let url):
            if let unavailable {
                out.write("ota install: refused: "); out.write(unavailable); out.newline()
                return
            }
            if rebootMethod != nil {
                out.line("ota install: refused: a new firmware was activated; rebooting")
                return
            }
            if let h = health, h.mode == .trial, h.isPending {
                out.write("ota install: refused: firmware "); out.write(runningVersion); out.line(" is on trial and not yet marked good")
                return
            }
            guard let order = OTAConsole.installOrder(url: url, upgradeRunning: isUpgrading, into: &out) else { return }
            note(.info, "ota: console: install \(url)")
            jobIsLocal = true
            startJob(order, now: now)
        }
    }

    /// The next progress report for the console, oldest first.
    public mutating func nextConsoleReport() -> UpgradeProgress? {
        consoleReports.isEmpty ? nil : consoleReports.removeFirst()
    }
}
