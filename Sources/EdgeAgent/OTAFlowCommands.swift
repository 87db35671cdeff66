import CShim
import EdgeCore
import EdgeCrypto
import TLS
import OTA

/// `edge-agent ota upgrade …` and `edge-agent ota boot-check …`: the cloud-ordered upgrade and
/// the start-up health check as stand-alone commands, each driving the same poll-loop
/// components the agent runs (`UpgradeJob`, `StartupHealth`) with its own poll(2) loop. They let
/// the boot simulator play a whole upgrade under qemu before `edge-agent run` wires them, and
/// let a technician replay an order by hand.
///
///     ota upgrade --env-config FILE --slots FILE --url URL --sign HEX [--sign-method md5] [--version V]
///                 [--size N] [--max-size N] [--ca FILE] [--allow-downgrade] [--reboot exit|reboot|none]
///         prints `ota: progress STEP DESC` lines (the ota.device.progress reports); after step 95
///         reboots as the board says (qemu boards: exit 10), or exits 0 with --reboot none.
///         Exit 1 when refused or failed (the last progress line names the reason).
///     ota boot-check --env-config FILE [--uplink HOST:PORT] [--deadline-ms N]
///         a stand-in for the agent's start: configuration and ring log count as observed, the
///         uplink is a real TCP connection (retried until the deadline), and a successful
///         connection also counts as the first poll. Prints what the agent would report
///         (`ota: progress 100 …`, `ota: inform VERSION`). Exit 0 marked good / committed,
///         11 (OTAExitStatus.healthCheckFailed) when a trial missed its deadline, 1 on errors.
///
/// Test hook: EDGE_OTA_CUT_AFTER_STEP=N kills the process (SIGKILL, a simulated power cut)
/// right after the first progress report with a step >= N.
enum OTAFlowCommands {
    static func clockNow() -> MonotonicInstant { SystemClock().monotonicNow() }

    static func printProgress(_ p: UpgradeProgress) {
        StandardOutput.line("ota: progress \(p.stepText) \(p.desc)")
        if let text = getenv("EDGE_OTA_CUT_AFTER_STEP"), let cut = Int(String(cString: text)), p.step >= 0, p.step >= cut {
            StandardOutput.line("ota: simulated power cut after step \(p.stepText)")
            _ = kill(getpid(), SIGKILL)
        }
    }

    static func upgrade(_ options: OTACommand.Options) -> Int32 {
        guard let url = options.url ?? options.positional.first, let slotsPath = options.slots else {
            StandardOutput.write(OTACommand.usage, fd: 2)
            return 2
        }
        let order: UpgradeOrder
        if let sign = options.sign {
            do throws(FirmwareImageError) {
                order = try UpgradeOrder(version: options.orderedVersion ?? "", fileURL: url, fileSize: options.size,
                                         sign: sign, signMethod: options.signMethod ?? "md5")
            } catch {
                printProgress(UpgradeProgress(.image(error)))
                return 1
            }
        } else {
            order = UpgradeOrder(installing: url)
        }
        #if EDGE_FIRMWARE
        let keyResult = OTACommand.keyFromBytes(TrustedFirmwareKey.der)
        let board = BuildInfo.board
        let runningText = BuildInfo.version
        let reboot = options.reboot ?? RebootMethod.forBoard(BuildInfo.board).setting
        #else
        let keyResult = options.key.map { OTACommand.loadKey($0) } ?? OTACommand.keyFromBytes(TrustedFirmwareKey.der)
        let board = options.board ?? BuildInfo.board
        let runningText = options.running ?? BuildInfo.version
        let reboot = options.reboot ?? "exit"  // never reboot a development machine by default
        #endif
        guard reboot == "none" || RebootMethod(setting: reboot) != nil else { return OTACommand.fail("--reboot: exit, reboot or none") }
        let key: ECDSAPublicKey
        switch consume keyResult {
        case .success(let k): key = k
        case .failure(let text): return OTACommand.fail("no usable firmware key: \(text)")
        }
        guard let running = FirmwareVersion(runningText) else { return OTACommand.fail("running version '\(runningText)' is not dotted") }
        guard var env = OTACommand.openEnvironment(options) else { return 1 }
        let booted = OTACommand.booted(options, env) ?? BootedSlot(slot: .a, source: .environment)
        let slots: SlotSet
        do throws(SlotError) { slots = try SlotSet.load(path: slotsPath) } catch { return OTACommand.fail(error.description) }
        let settings = UpgradeSettings(allowDowngrade: options.allowDowngrade, maxPayloadLength: options.maxSize,
                                       retryDelayMilliseconds: 500)
        let activated: FirmwareVersion?
        if url.hasPrefix("https://") {
            guard let caFile = options.caFile else { return OTACommand.fail("https:// needs --ca FILE") }
            let tls: TLSStream
            do throws(ByteStreamError) { tls = try TLSStream(TLSConfiguration(caFile: caFile)) } catch {
                printProgress(UpgradeProgress(.download(.transport(error))))
                return 1
            }
            activated = run(order: order, transport: .tls(tls), isTLS: true, env: &env, slots: slots, booted: booted, key: key,
                            board: board, running: running, settings: settings)
        } else {
            activated = run(order: order, transport: .tcp(TCPStream()), isTLS: false, env: &env, slots: slots, booted: booted,
                            key: key, board: board, running: running, settings: settings)
        }
        guard let version = activated else { return 1 }
        guard let method = RebootMethod(setting: reboot) else {
            StandardOutput.line("ota: \(version.description) activated; not rebooting (--reboot none)")
            return 0
        }
        StandardOutput.line("ota: rebooting into \(version.description) (\(method.setting))")
        let error = method.perform()
        return OTACommand.fail("reboot failed (\(error.message)); the new slot boots at the next restart")
    }

    /// Drives the job to its end with a poll(2) loop; the activated version, or nil.
    static func run(
        order: UpgradeOrder, transport: consuming NetworkStream, isTLS: Bool, env: inout BootEnvironment<FileEnvironmentStorage>,
        slots: SlotSet, booted: BootedSlot, key: consuming ECDSAPublicKey, board: String, running: FirmwareVersion,
        settings: UpgradeSettings
    ) -> FirmwareVersion? {
        var job: UpgradeJob<NetworkStream>
        do throws(SlotError) {
            job = try UpgradeJob.start(order: order, transport: transport, isTLS: isTLS, environment: &env, slots: slots,
                                       booted: booted, key: key, board: board, running: running, settings: settings,
                                       now: clockNow(), progress: printProgress)
        } catch { return nil }
        var revents: Int16 = 0
        while true {
            let now = clockNow()
            let state = job.poll(revents: revents, now: now, environment: &env, progress: printProgress)
            revents = 0
            switch state {
            case .working:
                continue
            case .waiting(let events, let until):
                let ms = until > now ? min(until.nanoseconds(since: now) / 1_000_000 + 1, 1_000) : 0
                do throws(Errno) {
                    revents = try SystemCall.poll(job.descriptor, events: events, timeoutMilliseconds: Int32(ms))
                } catch {
                    revents = 0   // a failed poll(2) (EINVAL, ENOMEM) reports nothing, as a timeout would
                }
            case .activated(let version):
                return version
            case .failed:
                return nil
            }
        }
    }

    static func bootCheck(_ options: OTACommand.Options) -> Int32 {
        guard var env = OTACommand.openEnvironment(options) else { return 1 }
        let booted = OTACommand.booted(options, env)
        var running = BuildInfo.version
        if let slot = booted?.slot, let installed = env.value(SlotActivation.versionVariable(slot)) { running = installed }
        let deadlineMilliseconds = options.deadlineMilliseconds ?? StartupHealth.defaultTrialTimeoutMilliseconds
        let start = clockNow()
        var health = StartupHealth.begin(environment: &env, booted: booted, runningVersion: running, now: start,
                                         trialTimeoutMilliseconds: deadlineMilliseconds)
        switch health.mode {
        case .unmanaged:
            StandardOutput.line("ota: boot not managed (no booted slot on the kernel command line, or BOOT_ORDER does not name it)")
            return 0
        case .trial: StandardOutput.line("ota: slot \(health.booted?.letter ?? "?") on trial, \(running): health check within \(deadlineMilliseconds) ms")
        case .committed: StandardOutput.line("ota: slot \(health.booted?.letter ?? "?") committed, \(running)")
        }
        health.observe(.configLoaded)
        health.observe(.ringLogOpened)
        var uplink = TCPStream()
        var uplinkUp = options.uplink == nil
        var nextAttempt = start
        let target = options.uplink.flatMap(parseHostPort)
        if options.uplink != nil && target == nil { return OTACommand.fail("--uplink: HOST:PORT") }
        if uplinkUp {
            health.observe(.uplinkConnected)
            health.observe(.pollSucceeded)
        }
        while true {
            let now = clockNow()
            switch health.poll(now: now, environment: &env) {
            case .none:
                break
            case .markedGood(let version):
                StandardOutput.line("ota: slot \(health.booted?.letter ?? "?") marked good (\(version))")
                return 0
            case .upgradeCompleted(let version):
                printProgress(StartupHealth.completedProgress(version: version))
                StandardOutput.line("ota: inform \(version)")
                StandardOutput.line("trial of slot \(health.booted?.letter ?? "?") committed")
                return 0
            case .upgradeFailed(let progress, let runningVersion):
                printProgress(progress)
                StandardOutput.line("ota: inform \(runningVersion)")
                continue
            case .deadlineMissed(let missing):
                StandardOutput.line("ota: health check failed: no \(missing) within \(deadlineMilliseconds) ms; not marking good")
                return OTAExitStatus.healthCheckFailed
            case .environmentFailed(let reason):
                return OTACommand.fail(reason)
            }
            if !uplinkUp, let target {
                let (host, port) = target
                if uplink.descriptor < 0 && now >= nextAttempt {
                    do throws(ByteStreamError) { try uplink.open(host: host, port: port) } catch {
                        nextAttempt = now.advanced(byMilliseconds: 200)
                    }
                }
                if uplink.descriptor >= 0 {
                    let revents = (try? SystemCall.poll(uplink.descriptor, events: uplink.pollEvents(wantWrite: true),
                                                        timeoutMilliseconds: 100)) ?? 0
                    do throws(ByteStreamError) {
                        if try uplink.advance(revents: revents) {
                            uplinkUp = true
                            StandardOutput.line("ota: uplink \(host):\(port) connected")
                            health.observe(.uplinkConnected)
                            health.observe(.pollSucceeded)
                            uplink.close()
                        }
                    } catch {
                        uplink.close()
                        nextAttempt = now.advanced(byMilliseconds: 200)
                    }
                    continue
                }
            }
            _ = try? SystemCall.poll(-1, events: 0, timeoutMilliseconds: 50)
        }
    }

    static func parseHostPort(_ text: String) -> (String, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (String(text[..<colon]), port)
    }
}
