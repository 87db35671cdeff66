import CShim
import EdgeCore
import EdgeCrypto
import MQTT
import TLS
import OTA
import Configuration
import CloudLink

/// The agent's side of an A/B firmware upgrade, as one more component of its poll loop: the
/// start-up health check of this boot (`StartupHealth`), cloud orders (`ota.device.upgrade`) run
/// as an `UpgradeJob` whose socket is in the loop's poll set, and the `ota.device.progress` /
/// `ota.device.inform` reports. Each loop turn:
///
///     let r = ota.pollRequest(now: now)        // the job's descriptor and when to wake
///     … poll(2) with r among the others …
///     switch ota.step(revents: re, health: loop.health, uplink: &uplink, now: now) {
///     case .none: break
///     case .reboot(let method): sync the ring log, disconnect, then reboot (qemu boards: exit 10)
///     case .healthCheckFailed: sync, disconnect, exit 11 without marking good
///     }
///     while let (level, text) = ota.nextMessage() { log it }
///
/// Orders: accepted ones are answered 200 (`data: ""`, spec §7.2) and then reported step by
/// step (0, 1…80, 85, 95; a failure with its negative step, see `UpgradeJob`); an order for the
/// version already running (a task pushed again after a reconnect) is reported 100 + `inform`
/// without a download. Refused without
/// starting (reply code, see `Refusal`): a gateway without slots, keys or a known booted slot
/// (also reported as progress `-5`), a second order while one runs, an order while this
/// firmware is still on trial, after an activation, and orders for sub-devices. One job at a
/// time; each turn does at most one chunk, so polling and publishing go on during a download.
/// After activation the agent waits (at most `rebootDelayMilliseconds`) for the cloud to
/// confirm step 95, then asks its caller to reboot.
///
/// At start: a trial boot must see the uplink connect and a device poll succeed within
/// `trialTimeoutMilliseconds`; then it is marked good and reports step 100 and `inform` with the
/// new version. A boot after a failed trial reports the failure (step -1) and `inform`s the
/// running version. A missed deadline ends the agent (`healthCheckFailed`) without marking good.
/// Reports wait in a small outbox until the uplink is connected.
///
/// Memory: everything of a job is allocated when it starts (see `UpgradeJob`); a turn without an
/// order, a job or a report allocates nothing.
public struct AgentOTA: ~Copyable {
    /// What the loop must do after a step.
    public enum Action: Equatable, Sendable {
        case none
        /// A slot was activated: sync, disconnect, reboot this way.
        case reboot(RebootMethod)
        /// A trial boot missed its health deadline: sync, disconnect, exit with
        /// `OTAExitStatus.healthCheckFailed` (not marked good).
        case healthCheckFailed
    }

    /// Severity of a message for the agent's log.
    public enum Level: Sendable { case info, warning, error }

    /// Reply codes of refused orders (application codes >= 2000, spec §6.4).
    public enum Refusal {
        /// This gateway cannot take upgrades (no board file, no key, booted slot unknown…).
        public static let unavailable = 2101
        /// An upgrade is running already.
        public static let busy = 2102
        /// The running firmware is on trial: a new upgrade would overwrite the fallback.
        public static let onTrial = 2103
        /// Upgrades of sub-devices are not handled.
        public static let notGateway = 2104
        /// A slot was activated; the gateway is about to reboot.
        public static let rebooting = 2105
    }

    enum Outgoing {
        case progress(UpgradeProgress, tag: UInt64)
        case inform(String, tag: UInt64)

        var tag: UInt64 {
            switch self {
            case .progress(_, let tag), .inform(_, let tag): return tag
            }
        }

        /// The reports the cloud's task ends on (100, a failure, the version inform): sent again
        /// when their request times out (a connection lost before the reply), not just logged.
        var needsConfirmation: Bool {
            switch self {
            case .progress(let p, _): return p.isFailure || p.step == OTAProgress.committed.step
            case .inform: return true
            }
        }

        func retagged(_ tag: UInt64) -> Outgoing {
            switch self {
            case .progress(let p, _): return .progress(p, tag: tag)
            case .inform(let v, _): return .inform(v, tag: tag)
            }
        }
    }

    /// A final report waiting for the cloud's reply, and how often it was sent.
    struct Awaited {
        var item: Outgoing
        var attempts: Int
    }

    let setup: AgentOTASetup?
    let settings: FirmwareUpdateSettings
    let cloudCAFile: String?
    /// Where `enos-connect://` and relative firmware URIs are fetched (`cloud.httpBroker` with the
    /// gateway's triple); nil: such orders fail with their reason.
    let fileBroker: EnOSFileBroker?
    public let runningVersion: String
    /// Why orders are refused (nil: this gateway can take them).
    public private(set) var unavailable: String?
    var environment: BootEnvironment<FileEnvironmentStorage>? = nil
    public private(set) var booted: BootedSlot? = nil
    public internal(set) var health: StartupHealth? = nil
    /// The running upgrade: one job type for HTTP and HTTPS (one copy in the firmware).
    var job: UpgradeJob<NetworkStream>? = nil
    var jobWorking = false
    var jobEvents: Int16 = 0
    var jobUntil: MonotonicInstant? = nil
    var outbox: [Outgoing] = []
    var awaiting: [Awaited] = []
    var messages: [(Level, String)] = []
    var nextTag: UInt64 = 1
    var activationTag: UInt64 = 0
    var activationConfirmed = false
    var rebootMethod: RebootMethod? = nil
    var rebootDeadline = MonotonicInstant(nanoseconds: 0)
    var reports: [UpgradeProgress] = []
    /// Every report for the console's notices (bounded; `nextConsoleReport`).
    var consoleReports: [UpgradeProgress] = []
    /// The running job is a technician's `ota install`: its reports go to the console and the
    /// log only (the cloud has no task for it).
    var jobIsLocal = false
    public private(set) var refusedOrders = 0

    static let outboxCapacity = 16
    /// Sends of a final report before giving up on its reply.
    static let finalReportAttempts = 3

    /// Reads the boot state (board, bootloader environment, booted slot) and begins the start-up
    /// check. `setup` nil: no board file, orders are refused. `runningVersion`: this firmware's.
    /// `cloudCAFile`: the uplink's CA, used for https:// firmware URLs (and an https:// HTTP
    /// broker) unless the settings name one. `fileBroker`: the EnOS HTTP broker for EnOS files.
    public init(setup: AgentOTASetup?, settings: FirmwareUpdateSettings, runningVersion: String, cloudCAFile: String?,
                fileBroker: EnOSFileBroker? = nil, now: MonotonicInstant) {
        self.setup = setup
        self.fileBroker = fileBroker
        self.settings = settings
        self.runningVersion = runningVersion
        self.cloudCAFile = cloudCAFile
        outbox.reserveCapacity(Self.outboxCapacity)
        awaiting.reserveCapacity(8)
        messages.reserveCapacity(16)
        reports.reserveCapacity(4)
        consoleReports.reserveCapacity(Self.outboxCapacity)
        guard let setup else {
            unavailable = "no board file: this gateway has no A/B slots (run with --board FILE)"
            return
        }
        if let problem = setup.problem { unavailable = problem }
        if setup.key.isEmpty { unavailable = unavailable ?? "no firmware key in this build: every image would be refused" }
        else if case .failure(let text) = Self.checkKey(setup.key) { unavailable = unavailable ?? "firmware key unusable: \(text)" }
        if FirmwareVersion(runningVersion) == nil { unavailable = unavailable ?? "running version '\(runningVersion)' is not dotted decimal" }
        guard let config = setup.environment else { return }
        var env = BootEnvironment(config: config, storage: FileEnvironmentStorage(config: config))
        do throws(BootEnvironmentError) {
            try env.load()
        } catch {
            unavailable = unavailable ?? "bootloader environment: \(error.description)"
            note(.error, "ota: bootloader environment unreadable (\(error.description)): no health check, upgrades refused")
            return
        }
        let found = BootedSlot.detect(commandLine: setup.commandLine ?? BootedSlot.kernelCommandLine(), environment: env)
        booted = found
        if found?.source != .commandLine { unavailable = unavailable ?? SlotError.bootedSlotUnknown.description }
        let h = StartupHealth.begin(environment: &env, booted: found, runningVersion: runningVersion, now: now,
                                    trialTimeoutMilliseconds: settings.trialTimeoutMilliseconds)
        environment = consume env
        health = h
        let slot = h.booted?.letter ?? "?"
        switch h.mode {
        case .trial:
            note(.warning, "ota: firmware \(runningVersion) on trial in slot \(slot): uplink and a poll needed within \(settings.trialTimeoutMilliseconds) ms, else the bootloader falls back")
        case .committed:
            note(.info, "ota: firmware \(runningVersion) in slot \(slot)" + (unavailable.map { "; upgrades refused: " + $0 } ?? ""))
        case .unmanaged:
            note(.info, "ota: boot not managed (no booted slot on the kernel command line, or BOOT_ORDER does not name it); upgrades refused")
        }
    }

    enum KeyCheck { case ok, failure(String) }

    static func checkKey(_ der: [UInt8]) -> KeyCheck {
        guard let key = makeKey(der) else { return .failure("not an ECDSA P-256 public key") }
        _ = consume key
        return .ok
    }

    static func makeKey(_ der: [UInt8]) -> ECDSAPublicKey? {
        guard !der.isEmpty else { return nil }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: der.count, alignment: 8)
        defer { buffer.deallocate() }
        for i in 0..<der.count { buffer[i] = der[i] }
        do throws(CryptoError) { return try ECDSAPublicKey(der: UnsafeRawBufferPointer(buffer)) } catch { return nil }
    }

    // MARK: Loop hooks

    /// True while an upgrade job runs.
    public var isUpgrading: Bool { job != nil }

    /// The running job, for `ota status` and the log.
    public var jobSummary: UpgradeJobSummary? {
        switch job {
        case .some(let job): return job.summary
        case .none: return nil
        }
    }

    var jobDescriptor: Int32 {
        switch job {
        case .some(let job): return job.descriptor
        case .none: return -1
        }
    }

    /// What to add to the loop's poll(2): the download's descriptor (-1: none) and events, and
    /// the longest the loop may sleep (-1: no limit from OTA; 0: work is ready).
    public func pollRequest(now: MonotonicInstant) -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) {
        let fd = jobDescriptor
        if jobWorking && isUpgrading { return (fd, 0, 0) }
        var until: MonotonicInstant? = isUpgrading ? jobUntil : nil
        if let d = health?.nextDeadline { until = until.map { min($0, d) } ?? d }
        if rebootMethod != nil { until = until.map { min($0, rebootDeadline) } ?? rebootDeadline }
        guard let until else { return (fd, isUpgrading ? jobEvents : 0, -1) }
        let ms = Int(clamping: (until.nanoseconds(since: now) + 999_999) / 1_000_000)
        return (fd, isUpgrading ? jobEvents : 0, ms)
    }

    /// One turn: the health check, new orders, one piece of the job, reports, the reboot
    /// decision. `revents`: what poll(2) said for `pollRequest`'s descriptor; `conditions`: the
    /// loop's health observations so far.
    public mutating func step<U: OTAUplink & ~Copyable>(revents: Int16, health conditions: HealthCheck.Conditions,
                                                       uplink: inout U, now: MonotonicInstant) -> Action {
        if let action = checkHealth(conditions, now: now), action != .none { return action }
        while let order = uplink.nextUpgradeOrder() { accept(order, uplink: &uplink, now: now) }
        runJob(revents: revents, now: now)
        flush(uplink: &uplink)
        while let reply = uplink.nextUpgradeReply() {
            if reply.tag == activationTag { activationConfirmed = true }
            if replied(tag: reply.tag, code: reply.code) { continue }
            if reply.code != 200 { note(.warning, "ota: the cloud answered an OTA report with code \(reply.code)") }
        }
        flush(uplink: &uplink)   // final reports sent again after a timeout
        if let method = rebootMethod, activationConfirmed || now >= rebootDeadline {
            if !activationConfirmed { note(.warning, "ota: step 95 not confirmed by the cloud within \(settings.rebootDelayMilliseconds) ms; rebooting anyway") }
            rebootMethod = nil
            return .reboot(method)
        }
        return .none
    }

    /// The next line for the agent's log, oldest first.
    public mutating func nextMessage() -> (Level, String)? { messages.isEmpty ? nil : messages.removeFirst() }

    /// Shutdown (SIGTERM): a running job is cancelled (step -1, its slot stays unbootable) and
    /// the reports are sent if the uplink can take them now.
    public mutating func shutdown<U: OTAUplink & ~Copyable>(reason: String, uplink: inout U) {
        var got: [UpgradeProgress] = []
        job?.cancel(reason: reason) { got.append($0) }
        reports += got
        if isUpgrading { note(.warning, "ota: upgrade cancelled: \(reason)") }
        job = nil
        takeReports()
        flush(uplink: &uplink)
    }

    // MARK: Start-up health

    mutating func checkHealth(_ conditions: HealthCheck.Conditions, now: MonotonicInstant) -> Action? {
        guard health != nil, environment != nil else { return nil }
        if conditions.contains(.configLoaded) { health!.observe(.configLoaded) }
        if conditions.contains(.ringLogOpen) { health!.observe(.ringLogOpened) }
        if conditions.contains(.uplinkConnected) { health!.observe(.uplinkConnected) }
        if conditions.contains(.pollSucceeded) { health!.observe(.pollSucceeded) }
        let slot = health!.booted?.letter ?? "?"
        switch health!.poll(now: now, environment: &environment!) {
        case .none:
            return nil
        case .markedGood(let version):
            note(.info, "ota: slot \(slot) (\(version)) marked good")
        case .upgradeCompleted(let version):
            note(.info, "ota: trial of \(version) in slot \(slot) passed its health check: marked good")
            enqueue(.progress(StartupHealth.completedProgress(version: version), tag: takeTag()))
            enqueue(.inform(version, tag: takeTag()))
        case .upgradeFailed(let progress, let running):
            note(.error, "ota: " + progress.desc)
            enqueue(.progress(progress, tag: takeTag()))
            enqueue(.inform(running, tag: takeTag()))
        case .deadlineMissed(let missing):
            note(.error, "ota: health check failed: no \(missing) within \(settings.trialTimeoutMilliseconds) ms; not marking slot \(slot) good (the bootloader falls back when its attempts run out)")
            return .healthCheckFailed
        case .environmentFailed(let reason):
            note(.error, "ota: bootloader environment: \(reason)")
        }
        return Action.none
    }

    // MARK: Orders

    mutating func accept<U: OTAUplink & ~Copyable>(_ order: ReceivedUpgradeOrder, uplink: inout U, now: MonotonicInstant) {
        note(.info, "ota: order to upgrade to \(order.version) from \(order.fileURL) (\(order.fileSize) bytes, \(order.signMethod) \(order.sign))")
        func refuse(_ code: Int, _ why: String, progress: Bool, uplink: inout U) {
            refusedOrders += 1
            note(.warning, "ota: upgrade to \(order.version) refused: \(why)")
            uplink.replyToUpgrade(order, code: code, message: why)
            if progress {
                enqueue(.progress(UpgradeProgress(step: UpgradeProgress.ignored, desc: "upgrade to \(order.version) refused: \(why)"), tag: takeTag()))
            }
        }
        guard order.forGateway else {
            return refuse(Refusal.notGateway, "upgrades of sub-devices are not supported", progress: false, uplink: &uplink)
        }
        if let unavailable { return refuse(Refusal.unavailable, unavailable, progress: true, uplink: &uplink) }
        if rebootMethod != nil {
            return refuse(Refusal.rebooting, "a new firmware was activated; rebooting", progress: false, uplink: &uplink)
        }
        if let running = jobSummary {
            return refuse(Refusal.busy, "the upgrade to \(running.version) is still running", progress: false, uplink: &uplink)
        }
        if let h = health, h.mode == .trial, h.isPending {
            return refuse(Refusal.onTrial, "firmware \(runningVersion) is on trial and not yet marked good", progress: false, uplink: &uplink)
        }
        guard setup != nil, booted != nil, FirmwareVersion(runningVersion) != nil, environment != nil else {
            return refuse(Refusal.unavailable, "upgrades are not set up", progress: true, uplink: &uplink)
        }
        uplink.replyToUpgrade(order, code: 200, message: "")
        if order.version == runningVersion {
            // The cloud pushes a pending task again after a reconnect: this version runs already
            // (and is committed), so the task completes without a download.
            note(.info, "ota: \(order.version) is running already: reporting it done")
            enqueue(.progress(UpgradeProgress(step: OTAProgress.committed.step, desc: "firmware \(runningVersion) is running already"),
                              tag: takeTag()))
            enqueue(.inform(runningVersion, tag: takeTag()))
            return
        }
        jobIsLocal = false
        let upgrade: UpgradeOrder
        do throws(FirmwareImageError) {
            upgrade = try UpgradeOrder(version: order.version, fileURL: order.fileURL,
                                       fileSize: order.fileSize > 0 ? UInt64(order.fileSize) : nil,
                                       sign: order.sign, signMethod: order.signMethod)
        } catch {
            report(UpgradeProgress(.image(error)))
            return
        }
        startJob(upgrade, now: now)
    }

    /// Starts the job of an accepted order (cloud or console); its reports, or its refusal, follow.
    mutating func startJob(_ upgrade: UpgradeOrder, now: MonotonicInstant) {
        guard let setup, let booted, let running = FirmwareVersion(runningVersion), environment != nil else { return }
        guard let key = Self.makeKey(setup.key) else {
            report(UpgradeProgress(step: UpgradeProgress.ignored, desc: "no usable firmware key"))
            return
        }
        var got: [UpgradeProgress] = []
        defer {
            reports += got
            takeReports()
        }
        let upgradeSettings = UpgradeSettings(allowDowngrade: settings.allowDowngrade, maxPayloadLength: setup.slotSize)
        jobWorking = true
        jobUntil = nil
        let isTLS: Bool
        do throws(DownloadError) {
            isTLS = try FirmwareLocation(upgrade.fileURL).usesTLS(broker: fileBroker)
        } catch {
            // Reported (and logged) once, as the job's failure: step -2 with the reason.
            report(UpgradeProgress(.download(error)))
            return
        }
        let transport: NetworkStream
        if isTLS {
            guard let ca = settings.caFile ?? cloudCAFile else {
                report(UpgradeProgress(.download(.badURL)))
                note(.error, "ota: https:// firmware URL or HTTP broker but no CA: set ota.caFile")
                return
            }
            do throws(ByteStreamError) { transport = .tls(try TLSStream(TLSConfiguration(caFile: ca))) } catch {
                report(UpgradeProgress(.download(.transport(error))))
                return
            }
        } else {
            transport = .tcp(TCPStream())
        }
        do throws(SlotError) {
            job = try UpgradeJob.start(order: upgrade, transport: transport, isTLS: isTLS, broker: fileBroker,
                                       environment: &environment!,
                                       slots: setup.slots, booted: booted, key: key, board: setup.board, running: running,
                                       settings: upgradeSettings, now: now, progress: { got.append($0) })
        } catch {}
    }

    // MARK: The job

    mutating func runJob(revents: Int16, now: MonotonicInstant) {
        guard isUpgrading, environment != nil else { return }
        var got: [UpgradeProgress] = []
        let state = job?.poll(revents: revents, now: now, environment: &environment!, progress: { got.append($0) })
        if !got.isEmpty {
            reports += got
            takeReports()
        }
        jobWorking = false
        switch state {
        case .none:
            break
        case .working:
            jobWorking = true
        case .waiting(let events, let until):
            jobEvents = events
            jobUntil = until
        case .activated(let version):
            job = nil
            rebootMethod = setup?.reboot ?? .exitProcess
            rebootDeadline = now.advanced(byMilliseconds: settings.rebootDelayMilliseconds)
            note(.warning, "ota: firmware \(version.description) activated on trial; syncing, disconnecting and rebooting (\(rebootMethod?.setting ?? "exit"))")
        case .failed(let report):
            job = nil
            note(.error, "ota: upgrade failed (step \(report.stepText)): \(report.desc)")
        }
    }

    // MARK: Reports

    mutating func report(_ progress: UpgradeProgress) {
        reports.append(progress)
        takeReports()
    }

    /// Moves the job's reports into the outbox (step 95 remembered: its confirmation triggers the reboot).
    mutating func takeReports() {
        guard !reports.isEmpty else { return }
        for r in reports {
            let tag = takeTag()
            if r.step == OTAProgress.activated.step { activationTag = tag; activationConfirmed = jobIsLocal }
            if r.isFailure { note(.warning, "ota: progress \(r.stepText) \(r.desc)") } else { note(.info, "ota: progress \(r.stepText) \(r.desc)") }
            if consoleReports.count >= Self.outboxCapacity { consoleReports.removeFirst() }
            consoleReports.append(r)
            if !jobIsLocal { enqueue(.progress(r, tag: tag)) }
        }
        reports.removeAll(keepingCapacity: true)
    }

    mutating func takeTag() -> UInt64 {
        nextTag &+= 1
        return nextTag
    }

    mutating func enqueue(_ item: Outgoing, attempts: Int = 1) {
        if outbox.count >= Self.outboxCapacity { outbox.removeFirst() }
        outbox.append(item)
        if item.needsConfirmation {
            if awaiting.count >= 8 { awaiting.removeFirst() }
            awaiting.append(Awaited(item: item, attempts: attempts))
        }
    }

    /// A reply to a final report: done with it, or (a timeout, code 0) sent again up to
    /// `finalReportAttempts` times. True when `tag` was such a report and a timeout was handled.
    mutating func replied(tag: UInt64, code: Int) -> Bool {
        var i = 0
        while i < awaiting.count {
            if awaiting[i].item.tag == tag { break }
            i += 1
        }
        guard i < awaiting.count else { return false }
        let entry = awaiting.remove(at: i)
        guard code == 0 else { return false }
        if entry.attempts >= Self.finalReportAttempts {
            note(.warning, "ota: no reply to a final report after \(entry.attempts) sends; giving up on it")
            return true
        }
        note(.info, "ota: a final report got no reply (connection lost?): sending it again")
        enqueue(entry.item.retagged(takeTag()), attempts: entry.attempts + 1)
        return true
    }

    mutating func flush<U: OTAUplink & ~Copyable>(uplink: inout U) {
        guard !outbox.isEmpty, uplink.isConnected else { return }
        while !outbox.isEmpty {
            let sent: Bool
            switch outbox[0] {
            case .progress(let p, let tag): sent = uplink.postUpgradeProgress(p, tag: tag)
            case .inform(let v, let tag): sent = uplink.postFirmwareVersion(v, tag: tag)
            }
            guard sent else { return }
            outbox.removeFirst()
        }
    }

    mutating func note(_ level: Level, _ text: String) {
        if messages.count >= 64 { messages.removeFirst() }
        messages.append((level, text))
    }
}
