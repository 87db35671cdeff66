import CShim
import EdgeCore
import EdgeCrypto

/// A cloud-ordered upgrade (`ota.device.upgrade`) as a component of the agent's single poll
/// loop: plain fields in (`UpgradeOrder`), `UpgradeProgress` reports out through a callback,
/// never blocking. Each `poll` does one bounded piece of work (at most one chunk downloaded,
/// hashed and written; or the final verification; or the activation) and says what it waits for:
///
///     var job = try UpgradeJob.start(order: order, transport: TCPStream(), isTLS: false, environment: &env,
///                                    slots: slots, booted: booted, key: key, board: board, running: version,
///                                    settings: settings, now: clock.monotonicNow(), progress: send)
///     loop: include job.descriptor / events in poll(2), wake at `until`, then
///         switch job.poll(revents: r, now: clock.monotonicNow(), environment: &env, progress: send) {
///         case .working: poll the others with timeout 0 and call again
///         case .waiting(let events, let until): as said
///         case .activated: reboot (RebootMethod)
///         case .failed: drop the job (already reported)
///         }
///
/// Steps reported: `0` accepted, `1`…`80` downloading, `85` verified and synced, `95` activated
/// (rebooting); the new firmware reports `100` after its health check (`StartupHealth`).
/// Failures: the spec's negative codes with the reason (`UpgradeProgress(SlotError)`), reported
/// once: `-2` download (after `maxDrops` resumed drops, HTTP errors, TLS), `-3` verification
/// (wrong board, bad image digest or signature, the cloud's digest or size differs, oversized,
/// not the ordered version), `-4` write (slot or bootloader environment), `-5` refused
/// (downgrade), `-1` the rest (booted slot unknown).
///
/// Guarantees: only the inactive slot is written, and only when the kernel command line names
/// the booted slot; an image refused for its header (or a download that ends before it) changes
/// neither the environment nor the slot; once the header is accepted the target is made
/// unbootable (durably) before its first byte is written, and it is activated only after the
/// size, the cloud's digest, the image digest and signature, the board and the version checked
/// out and the data was fdatasync'ed; after a later failure it stays unbootable. A downgrade or an oversized order is refused before anything is downloaded or
/// written. Memory: the chunk buffer, the download's 4 KB head buffer, the image reader's 202
/// bytes and one digest context, allocated at `start`, whatever the image size; `poll`
/// allocates nothing while downloading (reconnecting may: name resolution, the request line).
public struct UpgradeJob<Transport: ByteStream & ~Copyable>: ~Copyable {
    /// What the job needs from the loop.
    public enum State: Equatable, Sendable {
        /// More work is ready: call `poll` again on the next turn without sleeping.
        case working
        /// Wait until `descriptor` (if >= 0) reports one of `events`, or until `until`.
        case waiting(events: Int16, until: MonotonicInstant)
        /// The new slot boots next, on trial: reboot now.
        case activated(FirmwareVersion)
        /// Failed or refused; reported already. The target is unbootable, or untouched if the
        /// header was refused.
        case failed(UpgradeProgress)
    }

    enum Phase { case downloading, verifying, activating, finished }

    /// The slot being written.
    public let target: BootSlotName
    /// The ordered version, as the cloud wrote it.
    public let orderedVersion: String
    private let order: UpgradeOrder
    private let settings: UpgradeSettings
    private var fetch: HTTPFetch<Transport>
    private var installer: SlotInstaller<FileSlotDevice>
    private var digest: MessageDigest
    private let key: ECDSAPublicKey
    private var steps: OTAProgress
    private let buffer: UnsafeMutableRawBufferPointer
    private var phase = Phase.downloading
    private var outcome: State? = nil

    private init(target: BootSlotName, order: UpgradeOrder, settings: UpgradeSettings, fetch: consuming HTTPFetch<Transport>,
                 installer: consuming SlotInstaller<FileSlotDevice>, digest: consuming MessageDigest, key: consuming ECDSAPublicKey) {
        self.target = target
        self.orderedVersion = order.version
        self.order = order
        self.settings = settings
        self.fetch = fetch
        self.installer = installer
        self.digest = digest
        self.key = key
        steps = OTAProgress(interval: settings.progressInterval)
        buffer = .allocate(byteCount: settings.chunkSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Checks the order and starts the job: the inactive slot is opened, nothing is downloaded
    /// or changed yet (the slot is made unbootable once the image's header is accepted). Reports step `0`, or the refusal (and throws it).
    /// `transport` carries the download: `TCPStream()` for http://, a `TLSStream` for
    /// https:// (`isTLS` says which; for an EnOS file, the broker's scheme decides:
    /// `FirmwareLocation.usesTLS`). `broker`: where `enos-connect://` and relative file URIs
    /// are fetched (nil: such orders fail with `broker(.notConfigured)`). `key` is the firmware's
    /// trusted public key.
    public static func start<S: EnvironmentStorage>(
        order: UpgradeOrder, transport: consuming Transport, isTLS: Bool, broker: EnOSFileBroker? = nil,
        environment: inout BootEnvironment<S>,
        slots: SlotSet, booted: BootedSlot, key: consuming ECDSAPublicKey, board: String, running: FirmwareVersion,
        settings: UpgradeSettings = UpgradeSettings(), now: MonotonicInstant, progress: (UpgradeProgress) -> Void
    ) throws(SlotError) -> UpgradeJob {
        do throws(SlotError) {
            guard booted.source == .commandLine else { throw .bootedSlotUnknown }
            if let ordered = order.orderedVersion, ordered < running, !settings.allowDowngrade { throw .image(.downgrade) }
            if let size = order.fileSize, let max = settings.maxPayloadLength,
               size > max + UInt64(FirmwareImageHeader.size + 2 + FirmwareImageHeader.maxSignatureSize) {
                throw .image(.oversized)
            }
            let location: FirmwareLocation
            do throws(DownloadError) { location = try FirmwareLocation(order.fileURL) } catch { throw .download(error) }
            var digest: MessageDigest
            do throws(CryptoError) { digest = try MessageDigest(order.digestAlgorithm) } catch { throw .image(.unsupportedCloudDigest) }
            let fetch: HTTPFetch<Transport>
            do throws(DownloadError) {
                switch location {
                case .web(let url):
                    fetch = try HTTPFetch(url: url, transport: transport, isTLS: isTLS, maxDrops: settings.maxDrops,
                                          stallTimeoutMilliseconds: settings.stallTimeoutMilliseconds,
                                          retryDelayMilliseconds: settings.retryDelayMilliseconds)
                case .enosFile(let uri):
                    guard let broker else { throw .broker(.notConfigured) }
                    fetch = try HTTPFetch(broker: broker, fileURI: uri, transport: transport, isTLS: isTLS, maxDrops: settings.maxDrops,
                                          stallTimeoutMilliseconds: settings.stallTimeoutMilliseconds,
                                          retryDelayMilliseconds: settings.retryDelayMilliseconds)
                }
            } catch { throw .download(error) }
            let target = booted.slot.other
            let device = try slots.openForInstall(target, booted: booted.slot)
            let capacity = min(device.capacity ?? UInt64.max, settings.maxPayloadLength ?? UInt64.max)
            let policy = FirmwareImagePolicy(board: board, runningVersion: running, allowDowngrade: settings.allowDowngrade,
                                             maxPayloadLength: capacity)
            let installer = try SlotInstaller.begin(environment: environment, target: target, device: device, policy: policy)
            progress(UpgradeProgress(step: 0, desc: "upgrade to \(order.version) accepted: downloading into slot \(target.letter)"))
            return UpgradeJob(target: target, order: order, settings: settings, fetch: fetch, installer: installer,
                              digest: digest, key: key)
        } catch {
            progress(UpgradeProgress(error))
            throw error
        }
    }

    /// The descriptor to include in poll(2) (-1 when there is none: only the timer counts).
    public var descriptor: Int32 { fetch.descriptor }
    /// Bytes of the file downloaded so far, and its size once known.
    public var received: UInt64 { fetch.received }
    public var total: UInt64? { fetch.total }
    /// Connections that dropped and were resumed.
    public var drops: Int { fetch.drops }

    /// One bounded piece of work. `revents`: what poll(2) reported on `descriptor` since the
    /// last `.waiting` (0 if nothing or not polled).
    public mutating func poll<S: EnvironmentStorage>(revents: Int16, now: MonotonicInstant, environment: inout BootEnvironment<S>,
                                                     progress: (UpgradeProgress) -> Void) -> State {
        if let outcome { return outcome }
        do throws(SlotError) {
            switch phase {
            case .downloading:
                let step: HTTPFetch<Transport>.Step
                do throws(DownloadError) { step = try fetch.step(into: buffer, revents: revents, now: now) } catch { throw .download(error) }
                switch step {
                case .wait(let events, let until):
                    return .waiting(events: events, until: until)
                case .data(let n):
                    try checkAnnouncedSize()
                    let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                    digest.update(chunk)
                    try installer.feed(chunk, environment: &environment)
                    if let report = steps.downloaded(fetch.received, of: fetch.total) {
                        progress(UpgradeProgress(step: report.step, desc: report.desc.description))
                    }
                    return .working
                case .complete:
                    try checkAnnouncedSize()
                    let size = order.digestAlgorithm.size
                    digest.finish(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
                    guard order.digestMatches(UnsafeRawBufferPointer(rebasing: buffer[0..<size])) else {
                        throw .image(.cloudDigestMismatch)
                    }
                    phase = .verifying
                    return .working
                }
            case .verifying:
                let header = try installer.finish(key: key)
                if let ordered = order.orderedVersion, ordered != header.version { throw .image(.notTheOrderedVersion) }
                progress(UpgradeProgress(step: OTAProgress.verified.step,
                                         desc: "firmware \(header.version.description) verified and written to slot \(target.letter)"))
                phase = .activating
                return .working
            case .activating:
                try installer.activate(environment: &environment, attempts: settings.attempts)
                guard let version = installer.header?.version else { throw .image(.truncated) }
                progress(UpgradeProgress(step: OTAProgress.activated.step,
                                         desc: "slot \(target.letter) activated on trial: rebooting into \(version.description)"))
                phase = .finished
                outcome = .activated(version)
                return .activated(version)
            case .finished:
                return outcome ?? .failed(UpgradeProgress(step: UpgradeProgress.generic, desc: "upgrade ended"))
            }
        } catch {
            return fail(UpgradeProgress(error), progress: progress)
        }
    }

    /// Abandons the job (shutdown, a technician's command): the target stays unbootable (or
    /// untouched, when its header had not been accepted yet).
    /// Reports `-1` with `reason` unless the job had already ended.
    public mutating func cancel(reason: String, progress: (UpgradeProgress) -> Void) {
        guard outcome == nil else { return }
        _ = fail(UpgradeProgress(step: UpgradeProgress.generic, desc: "upgrade cancelled: \(reason)"), progress: progress)
    }

    private mutating func fail(_ report: UpgradeProgress, progress: (UpgradeProgress) -> Void) -> State {
        fetch.cancel()
        phase = .finished
        outcome = .failed(report)
        progress(report)
        return .failed(report)
    }

    private func checkAnnouncedSize() throws(SlotError) {
        if let ordered = order.fileSize, let total = fetch.total, ordered != total {
            throw .image(.sizeDiffersFromOrder(ordered: ordered, actual: total))
        }
    }
}

extension UpgradeJob where Transport: ~Copyable {
    /// What `ota status` shows of this job.
    public var summary: UpgradeJobSummary {
        UpgradeJobSummary(version: orderedVersion, target: target, received: fetch.received, total: fetch.total, drops: fetch.drops)
    }
}
