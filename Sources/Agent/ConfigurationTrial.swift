import EdgeCore
import FieldBus
import RingLog
import Configuration
import CloudLink
import OTA

/// A configuration applied from a bundle on trial (BUNDLE.md "Trial and rollback"), as a new
/// firmware slot is: the run that starts on it (with its `ConfigurationTrialMarker`) passes
/// once the uplink is up and every bus has polled successfully, and fails when
/// `configTrial.deadlineMs` passes first: then `<config>.previous` is put back with the same
/// atomic replacement, the marker removed, and the agent restarts on it. Outlives restarts (the
/// outcome is reported in the gateway status and the log).
public struct ConfigurationTrial: Sendable {
    /// The configuration on trial (nil: none).
    public private(set) var marker: ConfigurationTrialMarker? = nil
    var deadline: MonotonicInstant? = nil
    var deadlineMilliseconds: UInt64 = 0
    /// Per bus: has polled successfully in this trial.
    var polled: [Bool] = []
    /// For the gateway status (`GatewayStatus.configTrial`): the last trial's state.
    public private(set) var report = ""
    /// Said at the start of the run (a stale marker removed), then cleared.
    var notice: String? = nil
    /// Said at the start of a trial run, then cleared.
    var announcement: String? = nil
    /// Set when this start is one too many (`configTrial.maximumStarts`): the trial fails at
    /// its first step.
    var tooManyStarts: String? = nil

    public init() {}

    /// Reads the marker of the configuration a run is about to start on (each start and restart).
    public mutating func begin(_ config: AgentConfiguration) {
        marker = nil
        deadline = nil
        guard let m = ConfigurationTrialMarker.read(for: config.file) else { return }
        guard m.sha256 == config.revision.sha256 else {
            // The replacement stopped before the rename, or a rollback finished: not this file's.
            ConfigurationTrialMarker.remove(for: config.file)
            notice = "config: removed a stale trial marker (version \(m.version) is not the configuration running)"
            return
        }
        // This start counts before anything else can crash: written back at once.
        var counted = m
        counted.starts += 1
        var countFailure: String? = nil
        do throws(ConfigurationWriteError) { try counted.write(for: config.file) } catch {
            countFailure = "config: cannot count this start in \(ConfigurationTrialMarker.path(for: config.file)) (\(error.description)): a configuration that keeps crashing the agent is not caught by configTrial.maximumStarts"
        }
        marker = counted
        deadlineMilliseconds = config.configTrial.deadlineMilliseconds
        let maximum = config.configTrial.maximumStarts
        tooManyStarts = counted.starts > maximum
            ? "the agent started \(counted.starts) times on it without passing (configTrial.maximumStarts \(maximum)): it crashed, hung or was killed"
            : nil
        announcement = "config: version \(m.version) is on trial (start \(counted.starts) of at most \(maximum)): the uplink must come up and every bus poll successfully within \(deadlineMilliseconds / 1000) s, else \(config.file).previous is restored"
        if let countFailure { notice = countFailure }
        polled = [Bool](repeating: false, count: config.fieldBus.buses.count)
        report = "on trial: version \(m.version)"
    }

    /// What a turn decided.
    public enum Verdict: Equatable, Sendable {
        case undecided
        case passed
        case failed(String)
    }

    /// Checks the trial after a turn: `uplinkUp` (connected in this run), `busPolled(b)` (bus b
    /// has a good sample now); the deadline runs from the first call.
    public mutating func step(now: MonotonicInstant, uplinkUp: Bool, busPolled: (Int) -> Bool) -> Verdict {
        guard marker != nil else { return .undecided }
        if let tooManyStarts { return .failed(tooManyStarts) }
        let end = deadline ?? now.advanced(byMilliseconds: deadlineMilliseconds)
        deadline = end
        var allPolled = true
        for b in polled.indices where !polled[b] {
            if busPolled(b) { polled[b] = true } else { allPolled = false }
        }
        if uplinkUp && allPolled { return .passed }
        guard now >= end else { return .undecided }
        var missing = uplinkUp ? "" : "the uplink never came up"
        var buses = ""
        for b in polled.indices where !polled[b] { buses += (buses.isEmpty ? "" : ", ") + "\(b)" }
        if !buses.isEmpty { missing += (missing.isEmpty ? "" : " and ") + "bus \(buses) never polled successfully" }
        return .failed(missing + " within \(deadlineMilliseconds / 1000) s")
    }

    mutating func passed() {
        report = "passed: version \(marker?.version ?? "")"
        marker = nil
    }

    mutating func rolledBack(_ why: String) {
        report = "rolled back: version \(marker?.version ?? ""): " + why
        marker = nil
    }

    mutating func abandoned() { marker = nil }
}

extension AgentRunner {
    /// The trial's step after a turn: logs and removes the marker when it passes; on failure
    /// restores the previous configuration and returns `.restart` on it.
    static func stepTrial<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & ~Copyable, Bus: AgentBus,
                          Poller: EventPoller & ~Copyable>(
        _ trial: inout ConfigurationTrial, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, environment: Environment
    ) -> Next? {
        if let notice = trial.notice {
            loop.log.warning(notice)
            trial.notice = nil
        }
        if let announcement = trial.announcement {
            loop.log.info(announcement)
            trial.announcement = nil
        }
        guard let marker = trial.marker else { return nil }
        let fieldBus = loop.configuration.fieldBus
        let devices = loop.devices
        let verdict = trial.step(now: loop.clock.monotonicNow(), uplinkUp: loop.health.contains(.uplinkConnected)) { bus in
            var any = false
            for (d, device) in fieldBus.devices.enumerated() where device.bus == bus {
                any = true
                let start = devices.offsets[d]
                let end = d + 1 < devices.offsets.count ? devices.offsets[d + 1] : devices.qualities.count
                for i in start..<end where devices.qualities[i].isGood { return true }
            }
            return !any   // a bus without devices has nothing to poll
        }
        let file = loop.configuration.file
        switch verdict {
        case .undecided:
            return nil
        case .passed:
            if !ConfigurationTrialMarker.remove(for: file) {
                loop.log.error("config: cannot remove \(ConfigurationTrialMarker.path(for: file)): the trial runs again at the next start")
            }
            loop.log.info("config: version \(marker.version) passed its trial: the uplink is up and every bus polled")
            trial.passed()
            loop.status.configTrial = trial.report
            return nil
        case .failed(let why):
            loop.log.error("config: version \(marker.version) failed its trial: \(why); restoring \(file).previous")
            let previous: [UInt8]
            do throws(FileBytesError) {
                previous = try FileBytes.read(path: file + ".previous", limit: ConfigurationBundle.maximumConfigurationSize)
            } catch {
                loop.log.error("config: cannot roll back (\(error.description)): keeping version \(marker.version)")
                ConfigurationTrialMarker.remove(for: file)
                trial.abandoned()
                return nil
            }
            let written = previous.withUnsafeBytes { b -> ConfigurationWriteError? in
                do throws(ConfigurationWriteError) { try ConfigurationFileReplacement.replace(file, with: b); return nil } catch { return error }
            }
            if let written {
                loop.log.error("config: cannot roll back (\(written.description)): keeping version \(marker.version); the trial runs again at the next start")
                trial.abandoned()
                return nil
            }
            ConfigurationTrialMarker.remove(for: file)
            trial.rolledBack(why)
            let next: AgentConfiguration
            do throws(ConfigErrors) {
                next = try load(file, environment)
            } catch {
                for e in error.errors { loop.log.error("config: the previous configuration does not load: " + e.description) }
                loop.shutdown()
                return .exit(1)
            }
            loop.log.warning("config: rolled back to version \(next.revision.summary); restarting on it")
            loop.shutdown()
            return .restart(next)
        }
    }
}
