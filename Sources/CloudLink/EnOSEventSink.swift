import EdgeCore
import EnOS
import FieldBus
import Configuration

/// Receives the EnOS gateway's events inside its callback (where the gateway cannot be called)
/// and turns them into `UplinkEvent`s and checked `ControlRequest`s queued for the agent's loop;
/// commands are decoded against the configuration right there, while their bytes are valid.
/// A class so that the callback and the uplink share it; fixed-capacity queues, sized at start-up.
final class EnOSEventSink {
    let subToDevice: [Int]
    /// The TSL model check the `.model` replies go to (nil: `cloud.checkModels` off).
    var models: ModelCheck? = nil
    let deviceToSub: [Int]
    let templates: [DeviceTemplate]
    let deviceTemplates: [Int]
    var events: [UplinkEvent]
    var eventHead = 0
    var eventCount = 0
    var commands: [ControlRequest]
    var commandHead = 0
    var commandCount = 0
    /// Reply handles of the commands queued or under way (nil: free), each under its command's
    /// id in `handleIds`: as many as can wait in the queue plus as many as can run at once
    /// (`control.commandsInFlight`).
    var handles: [EnOSReplyHandle?]
    var handleIds: [UInt32]
    /// The id of the latest command (`ControlRequestId.cloud(after:)`).
    var lastId: UInt32 = 0
    /// Sub-devices whose login is awaited since the last connect.
    var awaiting: [Bool]
    var wanted: [Bool]
    /// Sub-devices the cloud disabled or deleted (`combine.*`): no login is awaited for them.
    var barred: [Bool]
    /// Per sub-device: the text of the cloud's last login refusal ("" if none).
    var loginMessages: [String]
    var droppedEvents = 0
    /// Reply handles of commands that could not be queued, to be answered busy by the uplink
    /// right after the gateway call that delivered them (`EnOSUplink.answerRefusedCommands`).
    var busy: [EnOSReplyHandle?]
    var busyHead = 0
    var busyCount = 0
    /// Commands answered busy, and commands that got no reply at all (the busy queue was full
    /// too, or the connection dropped before the answer went out), since the start.
    var busyCommands = 0
    var droppedCommands = 0
    /// What is not reported yet (`reportOverflow`): the first cause and the counts since the last report.
    var overflow: CommandOverflow? = nil
    var busySinceReport = 0
    var droppedSinceReport = 0
    var lastOverflowReport: MonotonicInstant? = nil
    static let overflowReportIntervalNanoseconds: UInt64 = 60_000_000_000
    var rejectedCommands = 0
    var connected = false
    /// `ota.device.upgrade` orders and the replies to OTA reports, for `AgentOTA`.
    let otaInbox = OTAInbox()
    /// `thing.service.applyConfiguration`/`getConfiguration` calls to the gateway, for the agent.
    let configurationInbox = ConfigurationInbox()
    /// The configured services (`decodeService`).
    var services = ServiceCatalog()
    /// Finds the sub-device a refusal's message names.
    let deviceNames: SubDeviceNames

    init(fieldBus: FieldBusConfiguration, subDevices: [SubDeviceCredentials], eventCapacity: Int = 256, commandCapacity: Int = 16,
         commandsInFlight: Int = 16) {
        var subToDevice: [Int] = []
        var deviceToSub = [Int](repeating: -1, count: fieldBus.devices.count)
        for (i, s) in subDevices.enumerated() {
            subToDevice.append(s.device)
            deviceToSub[s.device] = i
        }
        self.subToDevice = subToDevice
        self.deviceToSub = deviceToSub
        templates = fieldBus.templates
        deviceTemplates = fieldBus.devices.map { $0.template }
        events = [UplinkEvent](repeating: .connected, count: eventCapacity)
        commands = [ControlRequest](repeating: ControlRequest(kind: .get, id: 0, device: -1), count: commandCapacity)
        handles = [EnOSReplyHandle?](repeating: nil, count: commandCapacity + max(commandsInFlight, 1))
        handleIds = [UInt32](repeating: 0, count: handles.count)
        busy = [EnOSReplyHandle?](repeating: nil, count: commandCapacity * 2)
        awaiting = [Bool](repeating: false, count: subDevices.count)
        wanted = [Bool](repeating: true, count: subDevices.count)
        barred = [Bool](repeating: false, count: subDevices.count)
        loginMessages = [String](repeating: "", count: subDevices.count)
        deviceNames = SubDeviceNames(subDevices)
    }

    var loginsSettled: Bool {
        for i in awaiting.indices where awaiting[i] { return false }
        return true
    }

    func push(_ event: UplinkEvent) {
        guard eventCount < events.count else { droppedEvents += 1; return }
        events[(eventHead + eventCount) % events.count] = event
        eventCount += 1
    }

    func popEvent() -> UplinkEvent? {
        guard eventCount > 0 else { return nil }
        let e = events[eventHead]
        eventHead = (eventHead + 1) % events.count
        eventCount -= 1
        return e
    }

    func popCommand() -> ControlRequest? {
        guard commandCount > 0 else { return nil }
        let c = commands[commandHead]
        commandHead = (commandHead + 1) % commands.count
        commandCount -= 1
        return c
    }

    /// Takes the reply handle of command `id` (once).
    func takeHandle(_ id: UInt32) -> EnOSReplyHandle? {
        for i in handles.indices where handles[i] != nil && handleIds[i] == id {
            let h = handles[i]
            handles[i] = nil
            return h
        }
        return nil
    }

    func on(_ event: EnOSGatewayEvent) {
        switch event {
        case .connected:
            connected = true
            models?.connectionStarted()
            for i in awaiting.indices { awaiting[i] = wanted[i] && !barred[i] }
            push(.connected)
        case .disconnected(let error):
            let wasConnected = connected
            connected = false
            for i in awaiting.indices { awaiting[i] = false }
            push(.disconnected(error, wasConnected: wasConnected))
        case .subscriptionRefused(let filter):
            push(.subscriptionRefused(topicFilter: filter))
        case .subDeviceLoggedIn(let i):
            guard i >= 0, i < subToDevice.count else { return }
            awaiting[i] = false
            push(.loggedIn(device: subToDevice[i]))
        case .subDeviceLoginFailed(let i, let code, let message):
            guard i >= 0, i < subToDevice.count else { return }
            awaiting[i] = false
            // Kept for the log line (allocates only when the text changes: failures back off).
            if let message {
                if !message.equals(loginMessages[i]) { loginMessages[i] = String(message.string.prefix(200)) }
            } else {
                loginMessages[i] = ""
            }
            push(.loginFailed(device: subToDevice[i], code: code))
        case .subDeviceLoggedOut(let i):
            guard i >= 0, i < subToDevice.count else { return }
            push(.loggedOut(device: subToDevice[i]))
        case .subDeviceNotice(let i, let notice):
            guard i >= 0, i < subToDevice.count else { return }
            barred[i] = notice != .enabled
            if barred[i] { awaiting[i] = false }
            push(.cloudNotice(device: subToDevice[i], notice: notice))
        case .reply(_, let tag, let kind, let code, _) where kind == .otaProgress || kind == .otaInform:
            otaInbox.replied(tag: tag, code: code)
        case .replyTimedOut(_, let tag, let kind) where kind == .otaProgress || kind == .otaInform:
            otaInbox.replied(tag: tag, code: 0)
        case .reply(_, let tag, let kind, let code, _) where kind == .eventPost && tag != 0:
            // An alarm's event: confirmed, retried or refused for good like a measurepoint request.
            switch MeasurepointReplyCode.classify(code) {
            case .done: push(.confirmed(tag: tag))
            case .retryLater: push(.retry(tag: tag, code: code))
            case .permanent, .deviceRefused: push(.alarmRefused(tag: tag, code: code))
            }
        case .replyTimedOut(_, let tag, let kind) where kind == .eventPost && tag != 0:
            push(.retry(tag: tag, code: UplinkEvent.noReply))
        case .reply(_, let tag, let kind, let code, let message):
            guard kind.isMeasurepoints, tag != 0 else { return }
            switch MeasurepointReplyCode.classify(code) {
            case .done: push(.confirmed(tag: tag))
            case .permanent: push(.rejected(tag: tag, code: code))
            case .retryLater: push(.retry(tag: tag, code: code))
            case .deviceRefused: push(.deviceRefused(tag: tag, code: code, device: deviceNames.device(namedIn: message)))
            }
        case .replyTimedOut(_, let tag, let kind):
            guard kind.isMeasurepoints, tag != 0 else { return }
            push(.retry(tag: tag, code: UplinkEvent.noReply))
        case .command(let command):
            decode(command)
        case .commandRejected:
            rejectedCommands += 1
        case .model(let sub, let code, let data):
            models?.receive(subDevice: sub, code: code, data: data)
        }
    }

    func decode(_ command: EnOSCommand) {
        let kind: ControlRequest.Kind
        switch command.kind {
        case .measurepointSet: kind = .set
        case .measurepointGet: kind = .get
        case .service:
            if command.device == .gateway, let configuration = ConfigurationServiceCall.kind(of: command.serviceId) {
                if !configurationInbox.receive(command, kind: configuration) {
                    refuse(command.replyHandle, .queueFull(capacity: configurationInbox.capacity))
                }
                return
            }
            kind = .service
        case .otaUpgrade:
            otaInbox.receive(command)
            return
        default: return   // sub-device notifications are not field-bus commands
        }
        guard commandCount < commands.count else {
            refuse(command.replyHandle, .queueFull(capacity: commands.count))
            return
        }
        // A free place for the reply handle.
        var slot = -1
        for i in handles.indices where handles[i] == nil { slot = i; break }
        guard slot >= 0 else {
            refuse(command.replyHandle, .replySlotsFull(capacity: handles.count))
            return
        }
        lastId = ControlRequestId.cloud(after: lastId)
        handles[slot] = command.replyHandle
        handleIds[slot] = lastId
        var device = -1
        if case .subDevice(let i) = command.device, i >= 0, i < subToDevice.count { device = subToDevice[i] }
        var request = ControlRequest(kind: kind, id: lastId, device: device)
        if device < 0 {
            request.error = .unknownDevice
        } else {
            let template = templates[deviceTemplates[device]]
            switch kind {
            case .get:
                for id in command.pointIds() {
                    guard let p = EnOSEventSink.point(named: id, in: template) else {
                        request.error = request.error ?? .unknownPoint
                        continue
                    }
                    _ = request.append(point: p, value: .bool(false))
                }
            case .service:
                decodeService(command, template: template, into: &request)
            case .set:
                for parameter in command.parameters() {
                    guard let p = EnOSEventSink.point(named: parameter.name, in: template) else {
                        request.error = request.error ?? .unknownPoint
                        continue
                    }
                    let definition = template.points[p]
                    guard definition.writable else { request.error = request.error ?? .notWritable; continue }
                    guard let value = EnOSEventSink.pointValue(parameter.value) else {
                        request.error = request.error ?? .badValue
                        continue
                    }
                    do throws(EncodeError) {
                        try PointCodec.checkWrite(value, for: definition)
                    } catch {
                        request.error = request.error ?? ControlError(refusal: error)
                        continue
                    }
                    _ = request.append(point: p, value: value)
                }
                if request.count == 0 && request.error == nil {
                    request.error = .unknownPoint
                }
            }
        }
        commands[(commandHead + commandCount) % commands.count] = request
        commandCount += 1
    }

    /// Keeps the reply handle of a command that cannot be queued, to answer it busy (the protocol
    /// wants a reply to every command); counts it as unanswered when even that queue is full.
    func refuse(_ handle: EnOSReplyHandle, _ cause: CommandOverflow) {
        if overflow == nil { overflow = cause }
        guard busyCount < busy.count else {
            unanswered()
            return
        }
        busy[(busyHead + busyCount) % busy.count] = handle
        busyCount += 1
    }

    /// The oldest command waiting for its busy answer.
    var firstBusy: EnOSReplyHandle? { busyCount > 0 ? busy[busyHead] : nil }

    /// Forgets the oldest command waiting for its busy answer: answered, or (`answered` false)
    /// not answerable any more.
    func removeFirstBusy(answered: Bool) {
        guard busyCount > 0 else { return }
        busy[busyHead] = nil
        busyHead = (busyHead + 1) % busy.count
        busyCount -= 1
        if answered {
            busyCommands += 1
            busySinceReport += 1
        } else {
            unanswered()
        }
    }

    func unanswered() {
        droppedCommands += 1
        droppedSinceReport += 1
    }

    /// Pushes `commandsRefused` for what happened since the last report: at once the first time,
    /// then at most once per `overflowReportIntervalNanoseconds`, so a flood logs a line a minute.
    func reportOverflow(now: MonotonicInstant) {
        guard let cause = overflow, busyCount == 0 else { return }
        if let last = lastOverflowReport, now.nanoseconds(since: last) < Self.overflowReportIntervalNanoseconds { return }
        push(.commandsRefused(cause: cause, answeredBusy: busySinceReport, unanswered: droppedSinceReport))
        lastOverflowReport = now
        overflow = nil
        busySinceReport = 0
        droppedSinceReport = 0
    }

    static func point(named name: EnOSText, in template: DeviceTemplate) -> Int? {
        for i in template.points.indices where name.equals(template.points[i].identifier) { return i }
        return nil
    }

    static func pointValue(_ value: EnOSReceivedValue) -> PointValue? {
        switch value {
        case .bool(let b): return .bool(b)
        case .integer(let i): return .int(i)
        case .number(let d): return d.isFinite ? .double(d) : nil
        case .text(let t):
            var scratch = ShortString()
            var bytes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            let n: Int? = withUnsafeMutableBytes(of: &bytes) { raw in
                guard let n = t.copy(into: raw) else { return nil }
                for i in 0..<n { scratch.append(raw[i]) }
                return n
            }
            guard n != nil else { return nil }
            return .string(scratch)
        case .null, .structured: return nil
        }
    }
}
