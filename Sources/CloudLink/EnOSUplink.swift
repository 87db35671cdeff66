import EdgeAlarms
import EdgeCore
import EnOS
import FieldBus
import MQTT
import Configuration
import StoreForward
import Logging

/// The agent's cloud connection over EnOS: an `EnOSGateway` (the gateway and its sub-devices
/// from the configuration) adapted to `AgentUplink`. Live batches go out on
/// `measurepoint.post.batch`, backlog on `resume.batch`, both with `allowOfflineSubDevice`: a
/// sub-device whose login is late, refused or retried keeps its samples in the requests instead
/// of having them skipped (without the flag the cloud refuses the whole request with 1212), and
/// with `skipInvalidMeasurepoints`: a point the product's model refuses is dropped by the cloud
/// instead of failing the request for every device (1204); replies become confirmations (200),
/// rejections (codes that cannot succeed on a resend), refusals about one sub-device (705, 723,
/// 740, 1009, 1212: that device is found and left out) or retries with back-off (timeouts,
/// unknown codes: `MeasurepointReplyCode`). Good-quality samples carry plain
/// values; samples of bad quality are left out (the cloud's model may have no quality indicator).
/// Ready for data once connected and every wanted sub-device's login has settled (answered, or
/// timed out after the reply timeout): what is recorded until then is backlog. A login that is
/// never sent (it cannot be encoded, say) does not hold the data back for ever: a second after
/// the reply timeout the uplink is ready anyway (nothing is lost by that: requests allow offline
/// sub-devices). Buffers sized at start-up; steady state allocates nothing.
public struct EnOSUplink<Transport: ByteStream & ~Copyable, Clock: EdgeClock>: AgentUplink, ~Copyable {
    public var gateway: EnOSGateway<Transport, Clock, SplitMix64>
    let sink: EnOSEventSink
    let clock: Clock
    let fieldBus: FieldBusConfiguration
    let messageBuffer: UnsafeMutableRawBufferPointer
    var connectedAt = MonotonicInstant(nanoseconds: 0)
    /// How long after the connect the uplink is ready even if a login has not settled.
    let loginSettleLimitMilliseconds: UInt64
    let statusBuffer: UnsafeMutableRawBufferPointer
    var message: EnOSMeasurepointMessage? = nil
    var entryPoints = 0
    /// The points each product's TSL model refuses (left out of posts; see `ModelCheck`).
    public let models: ModelCheck
    /// Samples left out because the product's model refuses their point.
    public private(set) var modelRefusedSamples: UInt64 = 0
    /// Samples left out for their quality.
    public private(set) var badQualitySamples: UInt64 = 0
    /// The alarm rules whose records this uplink posts as events (`EnOSUplink+Alarms`).
    let alarmRules: AlarmRuleSet

    /// The EnOS configuration this configuration implies (exposed for tests and the console).
    public static func gatewayConfiguration(_ config: AgentConfiguration, firmwareVersion: String?) -> EnOSGatewayConfiguration {
        let g = config.cloud.gateway
        var subs: [EnOSDeviceIdentity] = []
        for s in config.cloud.subDevices {
            subs.append(EnOSDeviceIdentity(productKey: s.credentials.productKey, deviceKey: s.credentials.deviceKey,
                                           deviceSecret: s.credentials.deviceSecret))
        }
        var c = EnOSGatewayConfiguration(gateway: EnOSDeviceIdentity(productKey: g.productKey, deviceKey: g.deviceKey, deviceSecret: g.deviceSecret),
                                         subDevices: subs, firmwareVersion: firmwareVersion)
        c.acknowledgement = config.publishing.acknowledgement == .reply ? .cloudReply : .brokerPuback
        c.maximumMessageBytes = config.publishing.maximumPayloadBytes
        c.pendingCapacity = config.publishing.inFlightRequests + 8
        c.inFlightWindow = config.publishing.inFlightRequests + 8
        c.replyTimeoutMilliseconds = config.publishing.replyTimeoutMilliseconds
        c.keepAliveSeconds = config.cloud.keepAliveSeconds
        let minimum = config.cloud.reconnectMinimumMilliseconds
        c.reconnect = MQTTReconnectPolicy(initialDelayMilliseconds: minimum,
                                          maximumDelayMilliseconds: config.cloud.reconnectMaximumMilliseconds,
                                          jitterPercent: 25, minimumIntervalMilliseconds: min(1_000, minimum),
                                          windowMilliseconds: config.cloud.connectWindowMilliseconds, maximumAttemptsPerWindow: 4)
        c.loginRetryMilliseconds = max(minimum, 1_000)
        c.managesTopology = config.cloud.manageTopology
        c.checksModels = config.cloud.checkModels && !config.cloud.subDevices.isEmpty
        c.postsDeviceEvents = config.alarms.rules.count > 0 && !config.cloud.subDevices.isEmpty
        return c
    }

    public init(configuration config: AgentConfiguration, transport: consuming Transport, clock: Clock,
                firmwareVersion: String? = nil, log: Logger? = nil) {
        let enos = Self.gatewayConfiguration(config, firmwareVersion: firmwareVersion)
        let seed = UInt64(bitPattern: clock.wallNow().milliseconds) ^ clock.monotonicNow().nanoseconds
        gateway = EnOSGateway(configuration: enos, host: config.cloud.host, port: config.cloud.port,
                              transport: transport, clock: clock, random: SplitMix64(seed: seed))
        sink = EnOSEventSink(fieldBus: config.fieldBus, subDevices: config.cloud.subDevices,
                             commandsInFlight: config.control.commandsInFlight)
        models = ModelCheck(fieldBus: config.fieldBus, subDevices: config.cloud.subDevices, log: log)
        if config.cloud.checkModels { sink.models = models }
        sink.services = config.services
        self.clock = clock
        fieldBus = config.fieldBus
        alarmRules = config.alarms.rules
        loginSettleLimitMilliseconds = config.publishing.replyTimeoutMilliseconds &+ 1_000
        messageBuffer = .allocate(byteCount: config.publishing.maximumPayloadBytes, alignment: 8)
        statusBuffer = .allocate(byteCount: 4096, alignment: 8)
    }

    deinit {
        messageBuffer.deallocate()
        statusBuffer.deallocate()
    }

    // MARK: AgentUplink

    public var isConnected: Bool { gateway.isConnected }

    public var isReady: Bool {
        guard gateway.isConnected else { return false }
        if sink.loginsSettled && modelsSettled { return true }
        return clock.monotonicNow().nanoseconds(since: connectedAt) >= loginSettleLimitMilliseconds &* 1_000_000
    }

    public func loginFailureMessage(device: Int) -> String {
        guard device >= 0, device < sink.deviceToSub.count, sink.deviceToSub[device] >= 0 else { return "" }
        return sink.loginMessages[sink.deviceToSub[device]]
    }

    public func hasCloudIdentity(device: Int) -> Bool {
        device >= 0 && device < sink.deviceToSub.count && sink.deviceToSub[device] >= 0
    }

    public mutating func pollRequest() -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) {
        let sink = self.sink
        let wasConnected = sink.connected
        var request = gateway.pollRequest { sink.on($0) }
        if !wasConnected && sink.connected { connectedAt = clock.monotonicNow() }
        if sink.busyCount > 0 || sink.overflow != nil {
            let answers = sink.busyCount > 0
            answerRefusedCommands()
            if answers { request = gateway.pollRequest { sink.on($0) } }   // what the answers left to send
        }
        return request
    }

    public mutating func handle(revents: Int16) {
        let sink = self.sink
        let wasConnected = sink.connected
        gateway.handle(revents: revents) { sink.on($0) }
        if !wasConnected && sink.connected { connectedAt = clock.monotonicNow() }
        if sink.busyCount > 0 || sink.overflow != nil { answerRefusedCommands() }
    }

    public mutating func nextEvent() -> UplinkEvent? { sink.popEvent() }

    public mutating func nextCommand() -> ControlRequest? { sink.popCommand() }

    public mutating func setDeviceOnline(_ device: Int, _ online: Bool) {
        guard device >= 0, device < sink.deviceToSub.count else { return }
        let sub = sink.deviceToSub[device]
        guard sub >= 0 else { return }
        sink.wanted[sub] = online
        if online {
            gateway.loginSubDevice(sub)
            let s = sink
            _ = gateway.postConnectionState(subDevice: sub, state: .connected) { s.on($0) }
        } else {
            sink.awaiting[sub] = false
            gateway.logoutSubDevice(sub)
            let s = sink
            _ = gateway.postConnectionState(subDevice: sub, state: .disconnected) { s.on($0) }
        }
    }

    public mutating func disconnect() {
        gateway.disconnect()
        let sink = self.sink
        // Let the DISCONNECT go out.
        _ = gateway.pollRequest { sink.on($0) }
    }

    // MARK: MeasurepointUplink

    public mutating func beginBatch(_ kind: BatchKind) -> Bool {
        guard gateway.canPublish else { return false }
        do {
            message = try gateway.makeMeasurepointMessage(kind == .live ? .measurepointPostBatch : .measurepointResumeBatch,
                                                          buffer: messageBuffer, allowOfflineSubDevice: true,
                                                          skipInvalidMeasurepoints: true)
        } catch {
            message = nil
            return false
        }
        return true
    }

    public mutating func beginEntry(device: Int, time: WallTime) {
        entryPoints = 0
        let sub = sink.deviceToSub[device]
        let identity = gateway.configuration.subDevices[sub]
        message?.beginEntry(productKey: identity.productKey, deviceKey: identity.deviceKey, timeMilliseconds: time.milliseconds)
    }

    public mutating func addPoint(device: Int, point: Int, value: PointValue, quality: Quality) {
        guard quality.isGood else {
            badQualitySamples &+= 1
            return
        }
        guard !models.isExcluded(device: device, point: point) else {
            modelRefusedSamples &+= 1
            return
        }
        let id = fieldBus.templates[fieldBus.devices[device].template].points[point].identifier
        switch value {
        case .bool(let b): message?.addPoint(id, .bool(b))
        case .int(let v): message?.addPoint(id, .int(v))
        case .uint(let v): message?.addPoint(id, .uint(v))
        case .double(let v): message?.addPoint(id, .double(v))
        case .string(let s):
            var copy = s
            var bytes: InlineArray<64, UInt8> = InlineArray(repeating: 0)
            for i in 0..<copy.count { bytes[i] = copy[i] }
            let n = copy.count
            _ = withUnsafeBytes(of: &bytes) { raw in
                message?.addPoint(id, .text(UnsafeRawBufferPointer(rebasing: raw[0..<n])))
            }
            copy = ShortString()
        }
        entryPoints += 1
    }

    public mutating func endEntry() -> BatchEntryOutcome {
        guard message != nil else { return .tooLarge }
        if entryPoints == 0 {
            message?.cancelEntry()
            return .added
        }
        switch message?.endEntry() {
        case .added: return .added
        case .full: return .full
        default: return .tooLarge
        }
    }

    public mutating func sendBatch(tag: UInt64) -> Bool {
        guard message != nil else { return false }
        let sink = self.sink
        var result = EnOSPublishResult.invalid
        if var m = message.take() {
            guard m.entryCount > 0 else { return false }
            result = gateway.publish(&m, tag: tag) { sink.on($0) }
        }
        if case .sent = result { return true }
        return false
    }

    public mutating func cancelBatch() {
        message = nil
    }

    // MARK: Commands and status

    public mutating func reply(_ reply: ControlReply) {
        guard let handle = sink.takeHandle(reply.id) else { return }
        let sink = self.sink
        let fieldBus = self.fieldBus
        let message = reply.detail ?? reply.error?.message ?? ""
        let services = sink.services
        if (reply.count > 0 || reply.service >= 0) && reply.error == nil {
            _ = gateway.reply(to: handle, code: reply.code, message: message, data: { (w: inout JSONWriter) throws(JSONWriterError) in
                try w.beginObject()
                let template = fieldBus.templates[fieldBus.devices[reply.device].template]
                for i in 0..<reply.count where reply.present[i] {
                    // A service's outputs by their own identifiers, `measurepoint.get` by point.
                    try w.key(reply.service >= 0 ? services.services[Int(reply.service)].outputs[Int(reply.points[i])].identifier
                                                 : template.points[Int(reply.points[i])].identifier)
                    switch reply.values[i] {
                    case .bool(let b): try w.value(Int64(b ? 1 : 0))
                    case .int(let v): try w.value(v)
                    case .uint(let v): try w.value(v)
                    case .double(let v): try w.value(v.isFinite ? v : 0)
                    case .string(let s): try w.value(s.string)
                    }
                }
                try w.endObject()
            }, onEvent: { sink.on($0) })
        } else {
            _ = gateway.reply(to: handle, code: reply.code, message: message, data: nil, onEvent: { sink.on($0) })
        }
    }

    public mutating func postStatus(_ status: GatewayStatus) -> Bool {
        guard gateway.canPublish else { return false }
        let sink = self.sink
        var m: EnOSMeasurepointMessage
        do {
            m = try gateway.makeMeasurepointMessage(.measurepointPost, buffer: statusBuffer)
        } catch { return false }
        m.beginEntry(timeMilliseconds: clock.wallNow().milliseconds)
        m.addPoint("ringLogDepth", .uint(status.ringLogUnacknowledgedRecords))
        m.addPoint("ringLogDrops", .uint(status.ringLogDroppedRecords))
        m.addPoint("busUtilization", .double(Double(status.busUtilizationPPM) / 10_000))
        m.addPoint("devicesOnline", .int(Int64(status.devicesOnline)))
        m.addPoint("uplinkConnected", .bool(status.uplinkConnected))
        m.addPoint("memoryKiB", .uint(status.residentKiB))
        m.addPoint("uptime", .uint(status.uptimeSeconds))
        var version = status.firmwareVersion
        _ = version.withUTF8 { m.addPoint("firmwareVersion", .text(UnsafeRawBufferPointer($0))) }
        var slot = status.firmwareSlot
        _ = slot.withUTF8 { m.addPoint("firmwareSlot", .text(UnsafeRawBufferPointer($0))) }
        var configVersion = status.configVersion
        _ = configVersion.withUTF8 { m.addPoint("configVersion", .text(UnsafeRawBufferPointer($0))) }
        var configHash = status.configHash
        _ = configHash.withUTF8 { m.addPoint("configHash", .text(UnsafeRawBufferPointer($0))) }
        var configTrial = status.configTrial
        _ = configTrial.withUTF8 { m.addPoint("configTrial", .text(UnsafeRawBufferPointer($0))) }
        if status.alarmRules > 0 {
            m.addPoint("alarmsInfo", .int(Int64(status.alarmsRaised[0])))
            m.addPoint("alarmsWarning", .int(Int64(status.alarmsRaised[1])))
            m.addPoint("alarmsMinor", .int(Int64(status.alarmsRaised[2])))
            m.addPoint("alarmsMajor", .int(Int64(status.alarmsRaised[3])))
            m.addPoint("alarmsCritical", .int(Int64(status.alarmsRaised[4])))
        }
        guard m.endEntry() == .added else { return false }
        if case .sent = gateway.publish(&m, tag: 0, onEvent: { sink.on($0) }) { return true }
        return false
    }
}

extension EnOSUplink where Transport: ~Copyable {
    /// Answers busy (`ControlError.agentBusy`) the commands the sink could not queue, now that the
    /// gateway may be called (the sink runs inside its callback); stops when the MQTT output is
    /// full (the next `handle` goes on), and reports the overflow (`EnOSEventSink.reportOverflow`).
    mutating func answerRefusedCommands() {
        let sink = self.sink
        let busy = ControlError.agentBusy
        while let handle = sink.firstBusy {
            let result = gateway.reply(to: handle, code: busy.code, message: busy.message, data: nil, onEvent: { sink.on($0) })
            if result == .wouldBlock { break }
            sink.removeFirstBusy(answered: result == .sent)
        }
        sink.reportOverflow(now: clock.monotonicNow())
    }
}
