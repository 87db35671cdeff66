import BoardConfig
import CShim
import EdgeCore
import FieldBus
import Logging
import MQTT
import TLS
import OTA
import RingLog
import Configuration
import StoreForward
import CloudLink

/// Why the agent could not start (after a valid configuration): names what and why.
public struct AgentStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `edge-agent run`: loads the configuration (refusing it with every error), builds everything
/// with buffers sized from it (ring log, bus workers, EnOS uplink over TCP or TLS), runs the loop
/// until SIGTERM/SIGINT (sync, clean disconnect, exit 0), and on SIGHUP loads the file again: a
/// valid one replaces the running setup (after a sync), a bad one is refused with its errors and
/// the running one stays.
public enum AgentRunner {
    /// What the caller (the executable) knows about the build and the board.
    public struct Environment: Sendable {
        public var firmwareVersion: String
        public var firmwareSlot: String
        public var board: Board?
        /// Slots, bootloader environment, key and reboot method for upgrades (nil: refused).
        public var ota: AgentOTASetup?
        /// The public key (DER) configuration bundles must be signed with (BUNDLE.md "Key").
        public var configurationKey: [UInt8]

        public init(firmwareVersion: String, firmwareSlot: String = "", board: Board? = nil, ota: AgentOTASetup? = nil,
                    configurationKey: [UInt8] = TrustedFirmwareKey.der) {
            self.firmwareVersion = firmwareVersion
            self.firmwareSlot = firmwareSlot
            self.board = board
            self.ota = ota
            self.configurationKey = configurationKey
        }
    }

    /// How a run of the loop ends: the process exits with a status, or the loop starts again
    /// with a reloaded configuration.
    public enum Next {
        case exit(Int32)
        case restart(AgentConfiguration)
    }

    /// Runs the agent; returns the process exit status.
    public static func run(configFile: String, environment: Environment) -> Int32 {
        var config: AgentConfiguration
        do throws(ConfigErrors) {
            config = try load(configFile, environment)
        } catch {
            StandardOutput.errorLine(error.description)
            StandardOutput.errorLine("edge-agent run: configuration refused (\(error.errors.count) error\(error.errors.count == 1 ? "" : "s"))")
            return 1
        }
        let signals: SignalPipe
        do throws(Errno) {
            signals = try SignalPipe(catching: [SIGTERM, SIGINT, SIGHUP])
        } catch {
            StandardOutput.errorLine("edge-agent run: cannot catch signals: " + error.message)
            return 1
        }
        // Outlives reloads (the device stays open; a reload does not change it).
        var watchdog: ServiceWatchdog
        do throws(AgentStartError) {
            watchdog = try ServiceWatchdog.fromEnvironment(settings: config.watchdog, now: SystemClock().monotonicNow())
        } catch {
            StandardOutput.errorLine("edge-agent run: " + error.message)
            return 1
        }
        // Outlives reloads: a download goes on across SIGHUP, the trial check runs once.
        var ota = AgentOTA(setup: environment.ota, settings: config.ota, runningVersion: environment.firmwareVersion,
                           cloudCAFile: config.cloud.tls?.caFile, fileBroker: config.cloud.fileBroker,
                           now: SystemClock().monotonicNow())
        // Outlives reloads too: how the ring log's records, written under earlier configurations
        // of this process, read under the running one.
        var translation = SampleTranslation(layout: SampleLayout(config))
        // Outlives restarts: a configuration applied from a bundle on trial, the last outcome.
        var trial = ConfigurationTrial()
        trial.begin(config)
        while true {
            switch runOnce(config, environment, signals, &ota, &watchdog, &trial, translation) {
            case .exit(let status): return status
            case .restart(let next):
                config = next
                trial.begin(next)
                translation = SampleTranslation(layout: SampleLayout(next), after: translation)
            }
        }
    }

    /// The configuration with the board's ring-log partition applied.
    static func load(_ file: String, _ environment: Environment) throws(ConfigErrors) -> AgentConfiguration {
        var config = try AgentConfiguration.load(file: file)
        if let board = environment.board {
            // The board loader refuses sizes above Int.max; a Board built otherwise is refused here.
            guard let size = Int(exactly: board.ringLog.size), let sectorSize = Int(exactly: board.ringLog.eraseSize) else {
                throw ConfigErrors([ConfigError(file: "board " + board.name, path: JSONPath.root.key("ringLog"), location: nil,
                                                message: "size \(board.ringLog.size) or eraseSize \(board.ringLog.eraseSize) is more than this \(Int.bitWidth)-bit platform can address")])
            }
            config.store.path = board.ringLog.device
            config.store.size = size
            config.store.sectorSize = sectorSize
        }
        return config
    }

    static func runOnce(_ config: AgentConfiguration, _ environment: Environment, _ signals: SignalPipe, _ ota: inout AgentOTA,
                        _ watchdog: inout ServiceWatchdog, _ trial: inout ConfigurationTrial, _ translation: SampleTranslation) -> Next {
        let clock = SystemClock()
        // One logger: every secret of the configuration masked, the last lines kept for `log`.
        let log = Logger.agent(config.logging, clock: clock, secrets: AgentSecrets.registry(config),
                               history: LogHistory(lineCapacity: config.logging.historyLines, lineLength: 256))
        for line in config.maskedLines() { log.debug("config: " + line) }
        if let board = environment.board, board.ringLog.offset != 0 || board.ringLog.kind == .mtd {
            log.error("ring log: board \(board.name) puts it on \(board.ringLog.kind.rawValue) at offset \(board.ringLog.offset); only a whole file or block device is supported by run")
            return .exit(1)
        }
        let ring: RingLog<FileFlashDevice, SystemClock>
        do throws(AgentStartError) {
            ring = try openRingLog(config.store, clock: clock)
        } catch {
            log.error(error.message)
            return .exit(1)
        }
        let store = StoreAndForward(log: ring, clock: clock, settings: config.publishing, translation: translation,
                                    devices: config.fieldBus.devices.count)
        let workers: [BusWorker<FieldConnection, SystemClock>]
        do throws(AgentStartError) {
            workers = try makeWorkers(config.fieldBus, clock: clock)
        } catch {
            log.error(error.message)
            return .exit(1)
        }
        log.info("edge-agent \(environment.firmwareVersion) starting: \(config.fieldBus.buses.count) buses, \(config.fieldBus.devices.count) devices, \(config.cloud.subDevices.count) sub-devices, ring log \(config.store.path)")
        for warning in config.cloud.enosLimitWarnings { log.warning(warning) }
        // One transport type for TCP and TLS: the uplink and the loop are compiled once.
        let transport: NetworkStream
        if let tls = config.cloud.tls {
            do throws(ByteStreamError) {
                transport = .tls(try TLSStream(tls.configuration))
            } catch {
                log.error("cloud.tls: " + error.tlsDescription)
                return .exit(1)
            }
        } else {
            transport = .tcp(TCPStream())
        }
        let uplink = EnOSUplink(configuration: config, transport: transport, clock: clock, firmwareVersion: environment.firmwareVersion,
                                log: log)
        return drive(config, environment, store: store, uplink: uplink, workers: workers, clock: clock, signals: signals, log: log,
                     ota: &ota, watchdog: &watchdog, trial: &trial)
    }

    /// Opens (creating and formatting a missing file when allowed) the ring log.
    public static func openRingLog<C: EdgeClock>(_ s: StoreSettings, clock: C) throws(AgentStartError) -> RingLog<FileFlashDevice, C> {
        let geometry = FlashGeometry(size: s.size, sectorSize: s.sectorSize)
        let exists = access(s.path, F_OK) == 0
        if !exists && !s.create {
            throw AgentStartError("ring log \(s.path) does not exist (set ringLog.create to make it)")
        }
        var device: FileFlashDevice
        do throws(FlashError) {
            device = try FileFlashDevice(path: s.path, geometry: geometry, createOrResize: !exists)
        } catch {
            throw AgentStartError("ring log: " + error.description)
        }
        if !exists {
            do throws(RingLogError) {
                try RingLog<FileFlashDevice, C>.format(&device, wall: clock.wallNow())
            } catch {
                throw AgentStartError("ring log: cannot format the new file: " + error.message)
            }
        }
        do throws(RingLogError) {
            return try RingLog(device: device, clock: clock, options: s.options)
        } catch {
            throw AgentStartError("ring log: " + error.message)
        }
    }

    /// One worker (thread, queues, wake pipe) per bus, its scheduler planned from the configuration.
    public static func makeWorkers<C: EdgeClock>(_ fieldBus: FieldBusConfiguration, clock: C) throws(AgentStartError) -> [BusWorker<FieldConnection, C>] {
        var workers: [BusWorker<FieldConnection, C>] = []
        for (index, bus) in fieldBus.buses.enumerated() {
            let connection: FieldConnection
            do throws(ModbusError) {
                connection = try FieldConnection(bus: bus)
            } catch {
                throw AgentStartError("bus \(bus.name): " + error.description)
            }
            let scheduler: BusScheduler<FieldConnection, C>
            do throws(PlanError) {
                scheduler = try BusScheduler(bus: bus, busIndex: index, templates: fieldBus.templates, devices: fieldBus.devices,
                                             transport: connection, clock: clock, writeQueueCapacity: 32)
            } catch {
                throw AgentStartError("bus \(bus.name): request planning failed")
            }
            do throws(Errno) {
                workers.append(try BusWorker(scheduler: scheduler, eventCapacity: eventQueueCapacity(bus: index, fieldBus),
                                             commandCapacity: 32))
            } catch {
                throw AgentStartError("bus \(bus.name): " + error.message)
            }
        }
        return workers
    }

    /// Events a bus worker's queue holds: every sample the
    /// bus's points produce in the next 500 ms (at least one per point, so a whole round of a
    /// slow bus fits), 4 status events per device and 64 to spare, within 256...4096 (4096 was the
    /// fixed size before; the queue is the largest buffer of the agent, `MemoryLayout<BusEvent>`
    /// bytes an event (the largest case: a bus's statistics; `BusEventSizeTests`), and every slot
    /// becomes resident as the ring turns). The agent loop drains the queue
    /// whenever it is readable, so it only covers a stall of the loop; an event that does not fit
    /// is counted in `BusWorker.droppedEvents`.
    public static func eventQueueCapacity(bus: Int, _ fieldBus: FieldBusConfiguration) -> Int {
        var events = 64
        for device in fieldBus.devices where device.bus == bus {
            guard device.template >= 0 && device.template < fieldBus.templates.count else { continue }
            let template = fieldBus.templates[device.template]
            events += 4
            for point in template.points {
                let interval = max(Int(device.interval(of: point, in: template)), 1)
                events += (500 + interval - 1) / interval
                if events >= 4096 { return 4096 }
            }
        }
        return max(events, 256)
    }

    static func drive<Transport: ByteStream & ~Copyable>(
        _ config: AgentConfiguration, _ environment: Environment,
        store: consuming StoreAndForward<FileFlashDevice, SystemClock>, uplink: consuming EnOSUplink<Transport, SystemClock>,
        workers: [BusWorker<FieldConnection, SystemClock>], clock: SystemClock, signals: SignalPipe, log: Logger,
        ota: inout AgentOTA, watchdog: inout ServiceWatchdog, trial: inout ConfigurationTrial
    ) -> Next {
        var loop = AgentLoop(configuration: config, store: store, uplink: uplink, workers: workers, clock: clock,
                             signalDescriptor: signals.descriptor, log: log)
        loop.status.firmwareVersion = environment.firmwareVersion
        loop.status.firmwareSlot = environment.firmwareSlot
        loop.status.configVersion = config.revision.version
        loop.status.configHash = config.revision.sha256
        loop.status.configTrial = trial.report
        do throws(Errno) {
            try loop.start()
        } catch {
            log.error("cannot start the bus threads: " + error.message)
            return .exit(1)
        }
        watchdog.ready(log: log)
        var console = AgentConsole.open(config.console, boardTTY: environment.board.map { ($0.console.tty, $0.console.baud) },
                                        clock: clock, logger: log, configLines: config.maskedLines())
        console.answersOTA = true
        loop.logOTA(&ota)
        // One run's: a stop or restart cancels it (answered).
        var download = ConfigurationDownload()
        if environment.firmwareSlot.isEmpty, let slot = ota.booted?.slot { loop.status.firmwareSlot = slot.letter }
        while true {
            loop.prepareOTA(ota)
            loop.configurationPoll = download.pollRequest(now: clock.monotonicNow())
            let outcome = loop.turn(maximumWaitMilliseconds: console.prepare(&loop))
            // A loop that stops turning stops the kicks: the device or systemd restarts the agent.
            watchdog.kick(now: clock.monotonicNow(), log: log)
            if console.serve(&loop) == .reboot {
                log.info("console: reboot: syncing the ring log and disconnecting")
                loop.shutdown()
                // Hosts and qemu boards exit with the reboot status; real boards reboot(2).
                let method = environment.ota?.reboot ?? environment.board.map { RebootMethod.forBoard($0.name) } ?? .exitProcess
                if method == .exitProcess { return .exit(OTAExitStatus.rebootRequested) }
                let e = method.perform()
                log.error("reboot failed: " + e.message)
                return .exit(OTAExitStatus.rebootRequested)
            }
            if let request = console.takeOTARequest() {
                let now = clock.monotonicNow()
                console.completeOTA { ota.answer(request, now: now, into: &$0) }
            }
            let otaAction = loop.stepOTA(&ota)
            while let report = ota.nextConsoleReport() { console.notice { OTAConsole.progress(report, into: &$0) } }
            if let next = serveConfigurationCalls(&loop, environment: environment, trial: trial, download: &download) { return next }
            if let next = stepConfigurationDownload(&download, &loop, environment: environment, trial: trial) { return next }
            if let path = console.takeConfigApplyRequest(),
               let next = applyFromConsole(path, &loop, console: &console, environment: environment, trial: trial) {
                return next
            }
            if let next = stepTrial(&trial, &loop, environment: environment) { return next }
            switch otaAction {
            case .none:
                break
            case .reboot(let method):
                log.info("ota: rebooting into the new slot: syncing the ring log and disconnecting")
                loop.shutdown()
                if method == .exitProcess { return .exit(OTAExitStatus.rebootRequested) }
                let e = method.perform()
                log.error("ota: reboot failed (\(e.message)); the new slot boots at the next restart")
                return .exit(OTAExitStatus.rebootRequested)
            case .healthCheckFailed:
                loop.shutdown()
                return .exit(OTAExitStatus.healthCheckFailed)
            }
            if outcome != .running { cancelConfigurationDownload(&download, &loop, why: outcome == .terminate ? "the agent is stopping" : "the configuration is reloaded (SIGHUP)") }
            if let next = settle(outcome, &loop, ota: &ota, environment: environment) {
                // Only a clean stop disarms the watchdog; a failed exit leaves it to reset the board.
                if case .exit(0) = next { watchdog.stop(log: log) }
                return next
            }
        }
    }

    /// What a turn's outcome means for this run: SIGTERM/SIGINT stop (OTA job cancelled, ring log
    /// synced, clean disconnect, exit 0); SIGHUP loads the configuration file again: a valid one
    /// ends this run (after the same sync) to restart with it, a refused one is logged with its
    /// errors and the loop goes on as it is (nil, as for `.running`).
    public static func settle<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & OTAUplink & ~Copyable,
                              Bus: AgentBus, Poller: EventPoller & ~Copyable>(
        _ outcome: LoopOutcome, _ loop: inout AgentEventLoop<Device, Clock, Uplink, Bus, Poller>, ota: inout AgentOTA,
        environment: Environment
    ) -> Next? {
        let log = loop.log
        switch outcome {
        case .running:
            return nil
        case .terminate:
            log.info("terminating: syncing the ring log and disconnecting")
            loop.shutdownOTA(&ota, reason: "agent stopped")
            loop.shutdown()
            log.info("stopped")
            return .exit(0)
        case .reload:
            let file = loop.configuration.file
            log.info("SIGHUP: reloading \(file)")
            do throws(ConfigErrors) {
                let next = try load(file, environment)
                loop.shutdown()
                log.info("configuration reloaded")
                return .restart(next)
            } catch {
                for e in error.errors { log.error("reload refused: " + e.description) }
                log.warning("reload refused: keeping the running configuration")
                return nil
            }
        }
    }
}
