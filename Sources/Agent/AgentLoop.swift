import CShim
import EdgeCore
import FieldBus
import OTA
import RingLog
import Configuration
import StoreForward
import CloudLink
import EdgeAlarms

/// What a loop turn asks of its caller.
public enum LoopOutcome: Equatable, Sendable {
    case running
    /// SIGTERM or SIGINT: sync, disconnect, exit 0.
    case terminate
    /// SIGHUP: load the configuration again; keep running as is if it is refused.
    case reload
}

/// The agent's loop as the runner drives it: bus worker threads over libmodbus, poll(2).
public typealias AgentLoop<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & ~Copyable> =
    AgentEventLoop<Device, Clock, Uplink, BusWorker<FieldConnection, Clock>, SystemPoller>

/// The agent's one event loop: a single wait (`EventPoller`: poll(2) in the agent) over the bus
/// workers' wake pipes, the uplink's socket, the console and a signal self-pipe, with timers from
/// the injected clock (group commit, live batching, backlog pacing, status, command TTLs, MQTT
/// keepalive and reconnect).
/// Each turn drains bus events into the ring log (samples) and the uplink (device online/offline,
/// write results), handles the uplink, applies its events to the store-and-forward path, runs
/// cloud commands, publishes and posts status when due. Buffers are sized at `init`; a turn in
/// the steady state allocates nothing (log lines are written only on events).
///
/// Generic over the buses (`AgentBus`) and the poller (`EventPoller`) so that tests drive it in
/// this process with in-memory buses and a poller on a `ManualClock`; `AgentLoop` is the one the
/// runner drives (bus worker threads over libmodbus, poll(2)).
public struct AgentEventLoop<Device: FlashDevice & ~Copyable, Clock: EdgeClock, Uplink: AgentUplink & ~Copyable,
                             Bus: AgentBus, Poller: EventPoller & ~Copyable>: ~Copyable {
    public var store: StoreAndForward<Device, Clock>
    public var uplink: Uplink
    public let workers: [Bus]
    /// What the loop waits with (poll(2) in the agent).
    public var poller: Poller
    public let configuration: AgentConfiguration
    public private(set) var devices: DeviceTable
    public var log: AgentLog
    let clock: Clock
    let signalDescriptor: Int32
    /// The console's input and output descriptors with their events (`AgentConsole.prepare`;
    /// fd -1: none), polled with the rest; after a turn their `revents` say what fired.
    public var consolePoll = AgentEventLoop.noConsole
    /// What the console shows beyond the device table (bus and device statistics, its writes).
    public internal(set) var consoleFigures: ConsoleFigures
    /// One more descriptor to poll (the OTA download, `AgentOTA.pollRequest`): -1 for none; its
    /// timeout (-1: none) shortens the wait; `extraRevents` is what poll(2) said this turn.
    public var extraPoll: (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) = (-1, 0, -1)
    public private(set) var extraRevents: Int16 = 0
    /// The same for a configuration bundle's download (`ConfigurationDownload.pollRequest`).
    public var configurationPoll: (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) = (-1, 0, -1)
    public private(set) var configurationRevents: Int16 = 0
    let pollSet: UnsafeMutableBufferPointer<pollfd>
    var wasReady = false
    /// Health observations so far (for the OTA start-up check, see `StartupHealth`).
    public private(set) var health: HealthCheck.Conditions = [.configLoaded, .ringLogOpen]
    public private(set) var control: ControlTable
    /// Service calls under way, for their replies' output parameters.
    var serviceCalls: ServiceCalls
    var nextStatus: MonotonicInstant
    public var status = GatewayStatus()
    public let startedAt: MonotonicInstant
    /// Highest bus utilization reported since the last status (ppm).
    var utilization: UInt64 = 0
    var lastStoreError: RingLogError? = nil
    /// Why the uplink last failed, to log a repeated cause once (`UplinkFailureLog`).
    var uplinkFailures = UplinkFailureLog()
    public private(set) var turns: UInt64 = 0
    var reportedOtherConfigurations: UInt64 = 0
    /// Per device: its sub-device's login as the cloud last answered it (`LoginState`).
    var logins: [Int]
    /// The measurepoint reply codes already logged (once per code, not per request).
    var replyCodes = ReplyCodeLog()
    /// Scale factors, derived points and report-by-exception on the sample path.
    public let computation: PointComputation
    /// The alarm rules at work (`AlarmStation`; inactive without an `alarms` section).
    public let alarms: AlarmStation

    public init(configuration: AgentConfiguration, store: consuming StoreAndForward<Device, Clock>, uplink: consuming Uplink,
                workers: [Bus], clock: Clock, poller: consuming Poller, signalDescriptor: Int32, log: AgentLog) {
        self.configuration = configuration
        self.poller = poller
        self.store = store
        self.uplink = uplink
        self.workers = workers
        self.clock = clock
        self.signalDescriptor = signalDescriptor
        self.log = log
        devices = DeviceTable(configuration.fieldBus)
        logins = [Int](repeating: LoginState.unknown, count: configuration.fieldBus.devices.count)
        consoleFigures = ConsoleFigures(configuration.fieldBus)
        computation = PointComputation(configuration.fieldBus)
        alarms = AlarmStation(configuration.alarms, devices: configuration.fieldBus.devices.count)
        pollSet = .allocate(capacity: workers.count + 6)
        pollSet.initialize(repeating: pollfd(fd: -1, events: 0, revents: 0))
        control = ControlTable(capacity: configuration.control.commandsInFlight,
                               ttlMilliseconds: configuration.control.commandTTLMilliseconds, readBack: configuration.control.readBack)
        serviceCalls = ServiceCalls(capacity: configuration.control.commandsInFlight)
        let now = clock.monotonicNow()
        startedAt = now
        nextStatus = now.advanced(byMilliseconds: configuration.status.intervalMilliseconds)
        recoverAlarms()
    }

    deinit { pollSet.deallocate() }

    /// No console: both entries left out of the poll.
    public static var noConsole: (input: pollfd, output: pollfd) {
        (pollfd(fd: -1, events: 0, revents: 0), pollfd(fd: -1, events: 0, revents: 0))
    }

    /// Starts the bus threads.
    public func start() throws(Errno) {
        for w in workers { try w.start() }
    }

    /// Runs one turn: waits at most `maximumWaitMilliseconds` (less when a timer is due) for any
    /// descriptor, then handles whatever is ready.
    public mutating func turn(maximumWaitMilliseconds: Int = 1000) -> LoopOutcome {
        turns &+= 1
        let request = uplink.pollRequest()
        var timeout = min(maximumWaitMilliseconds, store.millisecondsUntilDue(now: clock.monotonicNow()))
        if request.timeoutMilliseconds >= 0 { timeout = min(timeout, request.timeoutMilliseconds) }
        timeout = min(timeout, millisecondsUntil(nextStatus))
        if let due = control.nextDeadline { timeout = min(timeout, millisecondsUntil(due)) }
        if extraPoll.timeoutMilliseconds >= 0 { timeout = min(timeout, extraPoll.timeoutMilliseconds) }
        if configurationPoll.timeoutMilliseconds >= 0 { timeout = min(timeout, configurationPoll.timeoutMilliseconds) }
        if let due = alarms.millisecondsUntilDue(wallNow: clock.wallNow().milliseconds) { timeout = min(timeout, due) }
        timeout = max(timeout, 0)

        var n = 0
        pollSet[n] = pollfd(fd: signalDescriptor, events: Int16(POLLIN), revents: 0); n += 1
        let uplinkSlot = n
        pollSet[n] = pollfd(fd: request.descriptor, events: request.events, revents: 0); n += 1
        let consoleSlot = n
        pollSet[n] = consolePoll.input; n += 1
        pollSet[n] = consolePoll.output; n += 1
        let extraSlot = n
        pollSet[n] = pollfd(fd: extraPoll.descriptor, events: extraPoll.events, revents: 0); n += 1
        pollSet[n] = pollfd(fd: configurationPoll.descriptor, events: configurationPoll.events, revents: 0); n += 1
        let firstWorker = n
        // Workers by index here and below: `for w in workers` allocates in debug builds.
        for i in workers.indices {
            pollSet[n] = pollfd(fd: workers[i].eventFD, events: Int16(POLLIN), revents: 0)
            n += 1
        }
        poller.wait(UnsafeMutableBufferPointer(rebasing: pollSet[0..<n]), timeoutMilliseconds: timeout)

        // Signals first: a termination wins over everything else this turn.
        var outcome = LoopOutcome.running
        if pollSet[0].revents != 0 {
            let mask = poller.takeSignals(descriptor: signalDescriptor)
            if SignalPipe.contains(mask, SIGTERM) || SignalPipe.contains(mask, SIGINT) { outcome = .terminate }
            else if SignalPipe.contains(mask, SIGHUP) { outcome = .reload }
        }

        // Field buses.
        for i in workers.indices where pollSet[firstWorker + i].revents != 0 {
            workers[i].drain { event in self.busEvent(event) }
        }
        flushComputation()
        evaluateAlarms()
        storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.flushRecord() }

        // Uplink.
        let revents = pollSet[uplinkSlot].revents
        if revents != 0 || request.timeoutMilliseconds == 0 {
            uplink.handle(revents: request.timeoutMilliseconds == 0 ? revents | Int16(POLLIN) : revents)
        }
        while let event = uplink.nextEvent() { uplinkEvent(event) }
        let ready = uplink.isReady
        if ready && !wasReady {
            log.info("uplink ready: backlog of \(store.unacknowledgedRecords) records to resume")
            storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.uplinkReady() }
        } else if !ready && wasReady {
            store.uplinkLost()
        }
        wasReady = ready

        // Commands from the cloud, and their deadlines.
        while let command = uplink.nextCommand() { runCommand(command) }
        expireCommands()

        consolePoll.input.revents = pollSet[consoleSlot].revents
        consolePoll.output.revents = pollSet[consoleSlot + 1].revents
        extraRevents = pollSet[extraSlot].revents
        configurationRevents = pollSet[extraSlot + 1].revents

        // Group commit, publishing, status.
        let durableBefore = store.log.durableSequence
        storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.tick() }
        if !ready { sayRecordsSyncedWhileDown(durableBefore: durableBefore) }
        do {
            try store.publish(&uplink)
        } catch {
            noteStoreError(error)
        }
        if clock.monotonicNow() >= nextStatus {
            nextStatus = clock.monotonicNow().advanced(byMilliseconds: configuration.status.intervalMilliseconds)
            postStatus()
        }
        return outcome
    }

    func millisecondsUntil(_ instant: MonotonicInstant) -> Int {
        Int(clamping: (instant.nanoseconds(since: clock.monotonicNow()) + 999_999) / 1_000_000)
    }

    /// Runs a store operation; a ring-log failure is logged once per kind (the data path goes on
    /// where it can: a refused append is counted by the store).
    mutating func storeStep(_ body: (inout StoreAndForward<Device, Clock>) throws(RingLogError) -> Void) {
        do {
            try body(&store)
        } catch {
            noteStoreError(error)
        }
    }

    mutating func noteStoreError(_ error: RingLogError) {
        if lastStoreError?.kind != error.kind { log.error("ring log: " + error.message) }
        lastStoreError = error
    }

    // MARK: - Bus events

    mutating func busEvent(_ event: BusEvent) {
        if consoleFigures.observe(event) { return }   // a console write's result
        switch event {
        case .sample(let sample) where computation.isActive || computation.isTracing:
            computeSample(sample)
        case .sample(let sample):
            deliverSample(sample, reported: true)
        case .traceWords(let device, let point, let time, let words):
            computation.noteWords(words, device: device, point: point, time: time)
        case .deviceOnline(let device, _):
            devices.setOnline(device, true)
            alarms.setOnline(device, true)
            log.info("device \(configuration.fieldBus.devices[device].name) online")
            uplink.setDeviceOnline(device, true)
        case .deviceOffline(let device, _, let cause, let detail):
            devices.setOnline(device, false)
            alarms.setOnline(device, false)
            log.warning("device \(configuration.fieldBus.devices[device].name) offline: " + (detail?.description ?? cause.description))
            uplink.setDeviceOnline(device, false)
        case .writeCompleted(let id, let device, let point, let outcome):
            writeCompleted(id: id, device: device, point: point, outcome: outcome)
        case .busStatistics(let stats, let now):
            utilization = max(utilization, stats.utilizationPPM(nowNanoseconds: now))
        case .readFailure(let device, let detail):
            log.warning("device \(configuration.fieldBus.devices[device].name): " + detail.description)
        case .deviceStatistics, .protocolStatistics, .registerReadCompleted:
            break   // the console's (ConsoleFigures)
        }
    }

    /// Into the device table always (the latest value, for `get` and the console); into the ring
    /// log when reported, else counted (`StoreAndForwardStats.samplesSuppressed`).
    mutating func deliverSample(_ sample: Sample, reported: Bool) {
        devices.record(sample)
        if alarms.isActive { alarms.observe(sample) }
        if sample.quality.isGood { health.insert(.pollSucceeded) }
        if reported {
            storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.record(sample) }
        } else {
            store.countSuppressed()
        }
    }

    // MARK: - Uplink events

    mutating func uplinkEvent(_ event: UplinkEvent) {
        switch event {
        case .connected:
            health.insert(.uplinkConnected)
            uplinkFailures.connected(to: configuration.cloud, log: log)
        case .disconnected(let cause, let wasConnected):
            uplinkFailures.failed(cause, wasConnected: wasConnected, cloud: configuration.cloud, log: log)
            for i in logins.indices where logins[i] == LoginState.loggedIn { logins[i] = LoginState.unknown }
        case .subscriptionRefused(let filter):
            log.error("uplink: the broker refused the subscription to \(filter) (SUBACK 0x80): commands and replies on it will not arrive")
        case .confirmed(let tag):
            storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.confirm(tag: tag) }
        case .rejected(let tag, let code):
            if replyCodes.firstTime(code) {
                log.error("cloud refused a measurepoint request with \(MeasurepointReplyCode.describe(code)); the same content can never be accepted, so its samples are dropped (counted as rejected requests); said once per code")
            }
            storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.reject(tag: tag) }
        case .retry(let tag, let code):
            if code != UplinkEvent.noReply, replyCodes.firstTime(code) {
                log.warning("cloud answered a measurepoint request with \(MeasurepointReplyCode.describe(code)); the unconfirmed samples are kept and sent again after a growing delay (at most 60 s); said once per code")
            }
            store.retry(tag: tag)
        case .deviceRefused(let tag, let code, let device):
            deviceRefused(tag: tag, code: code, device: device)
        case .alarmRefused(let tag, let code):
            alarmRefused(tag: tag, code: code)
        case .loggedIn(let device):
            guard device >= 0, device < logins.count else { return }
            admitRefusedDevice(device)
            let failed = logins[device] != LoginState.unknown && logins[device] != LoginState.loggedIn
            logins[device] = LoginState.loggedIn
            log.info("sub-device \(configuration.fieldBus.devices[device].name) logged in" + (failed ? " (after failed logins)" : ""))
        case .loginFailed(let device, let code):
            guard device >= 0, device < logins.count else { return }
            // Once per cause: retries of the same refusal stay quiet (they back off to 5 minutes).
            if logins[device] != code {
                let said = uplink.loginFailureMessage(device: device)
                let cloudSays = said.isEmpty ? "" : " (the cloud says: \"" + said + "\")"
                log.warning("sub-device \(configuration.fieldBus.devices[device].name) login failed: \(LoginState.describe(code))" + cloudSays + "; retried with a growing delay (at most 5 min); its samples are still sent (allowOfflineSubDevice) and kept until confirmed")
            }
            logins[device] = code
        case .loggedOut(let device):
            if device >= 0, device < logins.count { logins[device] = LoginState.unknown }
            log.info("sub-device \(configuration.fieldBus.devices[device].name) logged out")
        case .cloudNotice(let device, let notice):
            guard device >= 0, device < logins.count else { return }
            logins[device] = LoginState.unknown
            let line = "sub-device \(configuration.fieldBus.devices[device].name) " + LoginState.describe(notice)
            switch notice {
            case .enabled:
                log.info(line)
                admitRefusedDevice(device)
            case .disabled: log.warning(line)
            case .deleted:
                log.error(line)
                refuseDeletedDevice(device)
            }
        case .commandsRefused(let cause, let busy, let unanswered):
            log.warning(cause.logLine(answeredBusy: busy, unanswered: unanswered))
        }
        reportRefusedDevices()
    }

    // MARK: - Device control

    mutating func runCommand(_ request: ControlRequest) {
        let deviceName = request.device >= 0 ? configuration.fieldBus.devices[request.device].name : "(gateway)"
        log.info("audit: command \(request.id) \(ControlTable.kindName(request.kind)) on \(deviceName): \(describe(request))")
        if let error = request.error {
            var refused = ControlReply(id: request.id, device: request.device, error: error)
            refused.detail = request.detail
            finish(refused, request: request)
            return
        }
        switch request.kind {
        case .get:
            var reply = ControlReply(id: request.id, device: request.device, error: nil)
            for i in 0..<request.count {
                reply.points[i] = request.points[i]
                if let latest = devices.latest(device: request.device, point: Int(request.points[i])), latest.quality.isGood {
                    reply.values[i] = latest.value
                    reply.present[i] = true
                }
            }
            reply.count = request.count
            finish(reply, request: request)
        case .set, .service:
            guard devices.online[request.device], !configuration.fieldBus.devices[request.device].isVirtual else {
                finish(ControlReply(id: request.id, device: request.device, error: .deviceOffline), request: request)
                return
            }
            guard control.open(request, now: clock.monotonicNow()) else {
                finish(ControlReply(id: request.id, device: request.device, error: .busBusy), request: request)
                return
            }
            let worker = workers[configuration.fieldBus.devices[request.device].bus]
            let verified = control.readBack ? UInt16.max : request.verifyMask
            serviceCalls.open(request, verified: verified)
            for i in 0..<request.count {
                let write = WriteCommand(id: request.id, device: request.device, point: Int(request.points[i]),
                                         value: request.values[i], verify: verified & (UInt16(1) << UInt16(i)) != 0)
                if !worker.submit(write) { control.fail(id: request.id, .busBusy, remaining: request.count - i) }
            }
            if let done = control.takeFinished(id: request.id) { finish(done.reply, request: nil) }
        }
    }

    mutating func writeCompleted(id: UInt32, device: Int, point: Int, outcome: WriteOutcome) {
        var error: ControlError? = nil
        switch outcome {
        case .ok: error = nil
        case .rejected(let e):
            switch e {
            case .outOfAllowedRange, .outOfTypeRange: error = .outOfRange
            case .notWritable: error = .notWritable
            default: error = .badValue
            }
        case .failed: error = .writeFailed
        case .deviceOffline: error = .deviceOffline
        case .unknownPoint: error = .unknownPoint
        case .verificationMismatch: error = .verificationMismatch
        case .queueFull: error = .busBusy
        }
        guard control.complete(id: id, error: error) else { return }
        if let done = control.takeFinished(id: id) { finish(done.reply, request: nil) }
    }

    mutating func expireCommands() {
        let now = clock.monotonicNow()
        while let done = control.takeExpired(now: now) { finish(done.reply, request: nil) }
    }

    mutating func finish(_ reply: ControlReply, request: ControlRequest?) {
        var reply = reply
        serviceCalls.complete(&reply, catalog: configuration.services, devices: devices)
        if let e = reply.error {
            log.info("audit: command \(reply.id) result \(e.code) \(reply.detail ?? e.message)")
        } else {
            log.info("audit: command \(reply.id) result 200")
        }
        uplink.reply(reply)
    }

    func describe(_ request: ControlRequest) -> String {
        guard request.device >= 0 else { return "" }
        let template = configuration.fieldBus.templates[configuration.fieldBus.devices[request.device].template]
        var text = request.service >= 0 ? configuration.services.services[Int(request.service)].identifier + ": " : ""
        for i in 0..<request.count {
            if i > 0 { text += ", " }
            text += template.points[Int(request.points[i])].identifier
            if request.kind != .get { text += "=" + DecimalText.format(request.values[i]) }
        }
        if let e = request.error { text += (text.isEmpty ? "" : " ") + "(refused: " + (request.detail ?? e.message) + ")" }
        return text
    }

    // MARK: - Status

    /// The gateway's figures now.
    public mutating func currentStatus() -> GatewayStatus {
        var s = status
        let stats = store.log.statistics()
        s.ringLogUnacknowledgedRecords = store.unacknowledgedRecords
        s.ringLogDroppedRecords = stats.droppedRecords
        s.busUtilizationPPM = utilization
        s.devicesOnline = devices.onlineCount
        s.subDevicesTotal = configuration.cloud.subDevices.count
        s.subDevicesLoggedIn = 0
        s.subDevicesRefused = 0
        var i = 0
        while i < logins.count {   // an index loop: for-in allocates in debug builds
            if logins[i] == LoginState.loggedIn { s.subDevicesLoggedIn += 1 } else if logins[i] != LoginState.unknown { s.subDevicesRefused += 1 }
            i += 1
        }
        s.devicesTotal = configuration.fieldBus.devices.count
        s.uplinkConnected = uplink.isConnected
        s.residentKiB = ProcessMemory.residentKiB()
        s.alarmRules = alarms.rules.count
        if alarms.isActive { s.alarmsRaised = alarms.raisedCounts() }
        s.uptimeSeconds = clock.monotonicNow().nanoseconds(since: startedAt) / 1_000_000_000
        return s
    }

    mutating func postStatus() {
        reportDroppedSamples()
        for i in workers.indices { workers[i].requestStatistics() }
        let s = currentStatus()
        utilization = 0
        if uplink.isConnected { _ = uplink.postStatus(s) }
    }

    /// Says, once per status interval in which it happened, that stored samples were not sent
    /// because their configuration is gone (the counted rule of `StoreAndForward`).
    mutating func reportDroppedSamples() {
        let other = store.stats.samplesOfOtherConfigurations
        if other != reportedOtherConfigurations {
            log.warning("ring log: \(other - reportedOtherConfigurations) stored samples not sent: written under another configuration whose device or point is gone, changed its cloud identity, or is not known since the restart (\(other) in all)")
            reportedOtherConfigurations = other
        }
    }

    // MARK: - Shutdown

    /// SIGTERM: stops the buses, writes what is buffered to the ring log and syncs it, then
    /// disconnects cleanly.
    public mutating func shutdown() {
        for w in workers { w.stop() }
        for w in workers { w.drain { event in self.busEvent(event) } }
        flushComputation()
        evaluateAlarms()
        storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in try s.sync() }
        uplink.disconnect()
    }
}
