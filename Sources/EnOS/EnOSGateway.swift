import CShim
import EdgeCore
import EdgeCrypto
import MQTT

/// The EnOS gateway connection (spec §1, §4, §5, §6, §7) on top of an `MQTTClient`, driven from
/// the agent's poll loop exactly like the client (`pollRequest` + `handle`, or `step`). Generic
/// over the transport, so TCP and TLS work alike.
///
/// On every connect it subscribes the reply and command topics of the gateway and its
/// sub-devices, then sends `ota.device.inform` (if a version is configured) and the full
/// `connection.state.post`, reports `.connected`, and logs in the wanted sub-devices in batches
/// (partial success handled; failures retried after `loginRetryMilliseconds`; at most
/// `maximumOnlineSubDevices` online). Requests are QoS 1 with a string id; their replies (or
/// timeouts from the injected clock) come back as events carrying the caller's tag. Commands are
/// decoded and handed to the caller; malformed ones are answered with the spec's error code
/// and the gateway keeps running.
///
/// Guarantees: buffers and tables are allocated in `init`; publishing, replying, receiving and
/// the timers allocate nothing. The gateway cannot be called from inside its event closure.
///
/// Use (sketch):
///
///     var gw = EnOSGateway(configuration: c, host: h, port: 11883, transport: TCPStream(),
///                          clock: SystemClock(), random: SplitMix64(seed: s))
///     loop: let r = gw.pollRequest(onEvent: sink)          // add r.descriptor to poll(2)
///           gw.handle(revents: revents, onEvent: sink)     // when poll reported it
///           if gw.canPublish {
///               var m = try gw.makeMeasurepointMessage(.measurepointPostBatch, buffer: buf)
///               m.beginEntry(productKey: pk, deviceKey: dk, timeMilliseconds: t)
///               m.addPoint("power", .double(12.5), quality: 9)
///               if m.endEntry() == .full { /* publish m, start the next message with this entry */ }
///               _ = gw.publish(&m, tag: ringLogSequence, onEvent: sink)
///           }
///           // after .command(c) was seen in `sink` (keeping c.replyHandle):
///           _ = gw.reply(to: handle, code: 200, message: "", onEvent: sink)
///
/// When a connection drops, the requests still waiting for their reply are reported as
/// `replyTimedOut` and the MQTT session drops its unacknowledged QoS 1 messages
/// (`resendsAfterReconnect` false): the caller resends from its own log, in its own order. (The
/// session's resend used to arrive after the reconnect ahead of the caller's replay: an old
/// batch, out of time order, and a duplicate.)
public struct EnOSGateway<Transport: ByteStream & ~Copyable, Clock: EdgeClock, Random: MQTTRandomSource>: ~Copyable {
    public var client: MQTTClient<Transport, Clock, Random>
    let core: EnOSGatewayCore<Clock>
    let clock: Clock

    /// `host`/`port`: the broker (EnOS: `mqtt-{env}…`, 11883 TCP or 18883 TLS).
    public init(configuration: EnOSGatewayConfiguration, host: String, port: UInt16,
                transport: consuming Transport, clock: Clock, random: Random) {
        precondition(configuration.controlBufferBytes >= 1024, "EnOSGateway: control buffer below 1 KB")
        let timestamp = configuration.signTimestampMilliseconds ?? clock.wallNow().milliseconds
        let credentials = EnOSConnectCredentials(device: configuration.gateway, clientId: configuration.clientId,
                                                 timestampMilliseconds: timestamp)
        let connect = MQTTConnectOptions(clientId: credentials.clientId, cleanSession: true,
                                         keepAliveSeconds: configuration.keepAliveSeconds,
                                         username: credentials.username, password: Array(credentials.password.utf8))
        let packetLimit = max(configuration.maximumMessageBytes, configuration.controlBufferBytes) + 1024
        var session = MQTTSessionConfiguration(
            connect: connect, maximumPacketSize: packetLimit,
            outputBufferBytes: packetLimit + 16 * 1024,
            outgoingStoreBytes: configuration.outgoingStoreBytes ?? 2 * packetLimit,
            outgoingStoreMessages: configuration.outgoingStoreMessages,
            inFlightWindow: configuration.inFlightWindow,
            connectTimeoutMilliseconds: configuration.connectTimeoutMilliseconds,
            reconnect: configuration.reconnect)
        session.resendsAfterReconnect = false
        client = MQTTClient(host: host, port: port, configuration: session, transport: transport, clock: clock, random: random)
        core = EnOSGatewayCore(configuration: configuration, clock: clock)
        self.clock = clock
    }

    // MARK: State

    /// Connected, subscribed and announced: requests may be published.
    public var isConnected: Bool { core.phase == .ready && client.session.isConnected }
    /// True if sub-device `index` is logged in (its data is accepted).
    public func isSubDeviceOnline(_ index: Int) -> Bool {
        index >= 0 && index < core.subDevices.count && core.subDevices.status[index] == .online
    }
    /// Sub-devices logged in now.
    public var onlineSubDeviceCount: Int {
        var n = 0
        for i in 0..<core.subDevices.count where core.subDevices.status[i] == .online { n += 1 }
        return n
    }
    /// Requests waiting for their reply.
    public var pendingCount: Int { core.pending.count }
    /// True if a request can be published now (connected and the window has room).
    public var canPublish: Bool { isConnected && !core.pending.isFull }
    public var configuration: EnOSGatewayConfiguration { core.configuration }
    /// Messages ignored (unknown topics) and replies nobody waited for (late, or not ours).
    public var ignoredMessageCount: Int { core.ignoredMessages }
    public var unmatchedReplyCount: Int { core.unmatchedReplies }

    // MARK: Driving

    /// Runs timers (reply deadlines, login retries) and pending work, then the client's; says
    /// what to poll: descriptor (-1: none), events, milliseconds until the next timer (-1: none).
    public mutating func pollRequest(onEvent: (EnOSGatewayEvent) -> Void) -> (descriptor: Int32, events: Int16, timeoutMilliseconds: Int) {
        let core = self.core
        core.expire(onEvent)
        work(onEvent)
        var request = client.pollRequest { core.process($0, onEvent) }
        if core.phase != .down && core.phase != .ready || core.autoReplyCount > 0 {
            work(onEvent)
            request = client.pollRequest { core.process($0, onEvent) }
        }
        if let due = core.nextDeadline() {
            let now = clock.monotonicNow()
            let ms = due <= now ? 0 : Int(clamping: (due.nanoseconds(since: now) + 999_999) / 1_000_000)
            if request.timeoutMilliseconds < 0 || ms < request.timeoutMilliseconds { request.timeoutMilliseconds = ms }
        }
        return request
    }

    /// Handles what poll(2) reported for `pollRequest().descriptor`.
    public mutating func handle(revents: Int16, onEvent: (EnOSGatewayEvent) -> Void) {
        let core = self.core
        client.handle(revents: revents) { core.process($0, onEvent) }
        work(onEvent)
    }

    /// `pollRequest`, poll(2) on the one descriptor for at most `timeoutMilliseconds`, `handle`.
    /// For tests and simple programs; the agent uses its own loop.
    public mutating func step(timeoutMilliseconds: Int, onEvent: (EnOSGatewayEvent) -> Void) {
        let request = pollRequest(onEvent: onEvent)
        var wait = request.timeoutMilliseconds < 0 ? timeoutMilliseconds : min(timeoutMilliseconds, request.timeoutMilliseconds)
        let buffered = client.transport.hasBufferedInput
        if buffered { wait = 0 }
        var revents: Int16 = 0
        do throws(Errno) {
            revents = try SystemCall.poll(request.descriptor, events: request.events, timeoutMilliseconds: Int32(clamping: wait))
        } catch {
            revents = 0   // a failed poll(2) (EINVAL, ENOMEM) handles nothing this step, as a timeout would
        }
        if buffered { revents |= Int16(POLLIN) }
        if revents != 0 { handle(revents: revents, onEvent: onEvent) }
    }

    /// Sends DISCONNECT and stops reconnecting (`client.session.resume()` starts again).
    public mutating func disconnect() {
        client.session.disconnect()
    }

    // MARK: Measurepoints

    /// Starts a measurepoint message in `buffer` with the next request id and the configured size
    /// limit. Batches (`…PostBatch`, `…ResumeBatch`) go out on the gateway's topic with
    /// per-entry device keys; single-device kinds are about the gateway itself.
    public mutating func makeMeasurepointMessage(_ kind: EnOSRequestKind, buffer: UnsafeMutableRawBufferPointer,
                                                 allowOfflineSubDevice: Bool = false,
                                                 skipInvalidMeasurepoints: Bool = false) throws(JSONWriterError) -> EnOSMeasurepointMessage {
        try EnOSMeasurepointMessage(kind: kind, requestId: core.takeRequestId(), buffer: buffer,
                                    maximumBytes: core.configuration.maximumMessageBytes,
                                    allowOfflineSubDevice: allowOfflineSubDevice, skipInvalidMeasurepoints: skipInvalidMeasurepoints)
    }

    /// Publishes a measurepoint message (QoS 1). `tag` comes back with its reply or timeout.
    public mutating func publish(_ message: inout EnOSMeasurepointMessage, tag: UInt64, onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard isConnected else { return .notConnected }
        guard !core.pending.isFull else { return .windowFull }
        guard let payload = message.finish() else { return .invalid }
        let g = core.configuration.gateway
        guard let n = EnOSTopic.request(message.kind, productKey: g.productKey, deviceKey: g.deviceKey, into: core.topicBuffer) else {
            return .invalid
        }
        return publishRequest(id: message.requestId, kind: message.kind, topicCount: n, payload: payload, tag: tag,
                              subDevice: -1, reported: true, onEvent)
    }

    // MARK: Other requests

    /// `thing.event.{eventId}.post` for the gateway: `outputs` writes the output parameters
    /// (keys and values) into the open `events` object.
    public mutating func postEvent(_ eventId: String, timeMilliseconds: Int64, tag: UInt64,
                                   outputs: (inout JSONWriter) throws(JSONWriterError) -> Void,
                                   onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard isConnected else { return .notConnected }
        guard !core.pending.isFull else { return .windowFull }
        let id = core.takeRequestId()
        var w = JSONWriter(buffer: core.controlBuffer)
        do {
            try EnOSRequestEncoder.eventPost(&w, id: id, eventId: eventId, timeMilliseconds: timeMilliseconds, outputs: outputs)
        } catch { return .invalid }
        let g = core.configuration.gateway
        guard let n = EnOSTopic.request(.eventPost, productKey: g.productKey, deviceKey: g.deviceKey, eventId: eventId,
                                        into: core.topicBuffer) else { return .invalid }
        return publishRequest(id: id, kind: .eventPost, topicCount: n, payload: w.bytes, tag: tag, subDevice: -1, reported: true, onEvent)
    }

    /// `connection.state.post` delta (`isFull:false`) for one sub-device's node.
    public mutating func postConnectionState(subDevice index: Int, state: EnOSConnectionNode.State, tag: UInt64 = 0,
                                             onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard index >= 0, index < core.configuration.subDevices.count else { return .invalid }
        guard isConnected else { return .notConnected }
        guard !core.pending.isFull else { return .windowFull }
        let id = core.takeRequestId()
        var w = JSONWriter(buffer: core.controlBuffer)
        let sub = core.configuration.subDevices[index]
        let node = EnOSConnectionNode(nodeId: sub.deviceKey, state: state, name: sub.deviceKey)
        do {
            try EnOSRequestEncoder.connectionState(&w, id: id, gateway: nil, nodes: CollectionOfOne(node), full: false,
                                                   reportTimeMilliseconds: clock.wallNow().milliseconds)
        } catch { return .invalid }
        return publishGatewayRequest(id: id, kind: .connectionStatePost, payload: w.bytes, tag: tag, reported: true, onEvent)
    }

    /// `ota.device.inform` of the gateway (after an upgrade; the configured version is sent on
    /// every connect already).
    public mutating func informVersion(_ version: String, tag: UInt64 = 0, onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard isConnected else { return .notConnected }
        guard !core.pending.isFull else { return .windowFull }
        let id = core.takeRequestId()
        var w = JSONWriter(buffer: core.controlBuffer)
        do { try EnOSRequestEncoder.otaInform(&w, id: id, version: version) } catch { return .invalid }
        return publishGatewayRequest(id: id, kind: .otaInform, payload: w.bytes, tag: tag, reported: true, onEvent)
    }

    /// `ota.device.progress` of the gateway: `step` 0...100 or a negative failure code.
    public mutating func reportProgress(step: Int, description: String, tag: UInt64 = 0,
                                        onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard isConnected else { return .notConnected }
        guard !core.pending.isFull else { return .windowFull }
        let id = core.takeRequestId()
        var w = JSONWriter(buffer: core.controlBuffer)
        do { try EnOSRequestEncoder.otaProgress(&w, id: id, step: step, description: description) } catch { return .invalid }
        return publishGatewayRequest(id: id, kind: .otaProgress, payload: w.bytes, tag: tag, reported: true, onEvent)
    }

    // MARK: Sub-devices

    /// The agent's field device behind sub-device `index` is answering: keep it logged in (now if
    /// connected, and after every reconnect). All sub-devices start wanted.
    public mutating func loginSubDevice(_ index: Int) {
        guard index >= 0, index < core.subDevices.count else { return }
        core.subDevices.wanted[index] = true
        core.subDevices.logoutDue[index] = false
        if core.subDevices.status[index] == .failed { core.subDevices.retryAt[index] = clock.monotonicNow() }
    }

    /// The field device behind sub-device `index` stopped answering: log it out (`combine.logout`)
    /// and do not log it in again until `loginSubDevice`.
    public mutating func logoutSubDevice(_ index: Int) {
        guard index >= 0, index < core.subDevices.count else { return }
        core.subDevices.wanted[index] = false
        let s = core.subDevices.status[index]
        if s == .online || s == .loggingIn { core.subDevices.logoutDue[index] = true }
        if s == .failed { core.subDevices.status[index] = .offline }
    }

    // MARK: Command replies

    /// Replies to a command (QoS 0, same id, topic + `_reply`). `data` writes the data value
    /// (nil: `{}`); `code` 200 for success, ≥ 2000 for application failures, 1101 for an unknown
    /// service (spec §6.4).
    public mutating func reply(to handle: EnOSReplyHandle, code: Int, message: String,
                               data: ((inout JSONWriter) throws(JSONWriterError) -> Void)? = nil,
                               onEvent: (EnOSGatewayEvent) -> Void) -> EnOSSendResult {
        guard client.session.isConnected else { return .notConnected }
        let device: EnOSDeviceIdentity
        switch handle.device {
        case .gateway: device = core.configuration.gateway
        case .subDevice(let i):
            guard i >= 0, i < core.configuration.subDevices.count else { return .invalid }
            device = core.configuration.subDevices[i]
        case .unknown: return .invalid
        }
        let topicBuffer = core.topicBuffer
        let topicCount = handle.withServiceId { service in
            EnOSTopic.command(handle.kind, productKey: device.productKey, deviceKey: device.deviceKey,
                              serviceId: service, reply: true, into: topicBuffer)
        }
        guard let topicCount else { return .invalid }
        var w = JSONWriter(buffer: core.controlBuffer)
        var failed = false
        handle.withId { id in
            do throws(JSONWriterError) {
                try EnOSRequestEncoder.commandReply(&w, id: id, code: code, message: message, data: data)
            } catch { failed = true }
        }
        guard !failed else { return .invalid }
        return sendQoS0(topicCount: topicCount, payload: w.bytes, onEvent)
    }

    // MARK: Internals

    mutating func sendQoS0(topicCount: Int, payload: UnsafeRawBufferPointer, _ onEvent: (EnOSGatewayEvent) -> Void) -> EnOSSendResult {
        let topic = UnsafeRawBufferPointer(rebasing: core.topicBuffer[0..<topicCount])
        let result: MQTTPublishResult
        do { result = try client.session.publish(topic: topic, payload: payload, qos: .atMostOnce) } catch { return .invalid }
        switch result {
        case .sent:
            let core = self.core
            client.flush { core.process($0, onEvent) }
            return .sent
        case .notConnected: return .notConnected
        default: return .wouldBlock
        }
    }

    mutating func publishGatewayRequest(id: UInt32, kind: EnOSRequestKind, payload: UnsafeRawBufferPointer, tag: UInt64,
                                        reported: Bool, subDevice: Int32 = -1, _ onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        let g = core.configuration.gateway
        guard let n = EnOSTopic.request(kind, productKey: g.productKey, deviceKey: g.deviceKey, into: core.topicBuffer) else {
            return .invalid
        }
        return publishRequest(id: id, kind: kind, topicCount: n, payload: payload, tag: tag, subDevice: subDevice,
                              reported: reported, onEvent)
    }

    mutating func publishRequest(id: UInt32, kind: EnOSRequestKind, topicCount: Int, payload: UnsafeRawBufferPointer,
                                 tag: UInt64, subDevice: Int32, reported: Bool,
                                 _ onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard !core.pending.isFull else { return .windowFull }
        let topic = UnsafeRawBufferPointer(rebasing: core.topicBuffer[0..<topicCount])
        let result: MQTTPublishResult
        do { result = try client.session.publish(topic: topic, payload: payload, qos: .atLeastOnce) } catch { return .invalid }
        guard case .stored(let packetId) = result else { return .windowFull }
        let deadline = clock.monotonicNow().advanced(byMilliseconds: core.configuration.replyTimeoutMilliseconds)
        _ = core.pending.insert(EnOSPendingRequests.Entry(id: id, kind: kind, tag: tag, deadline: deadline, packetId: packetId,
                                                          subDevice: subDevice, reported: reported))
        let core = self.core
        client.flush { core.process($0, onEvent) }
        return .sent(requestId: id)
    }

    /// What the connection needs after the client has run: subscriptions, announcements, error
    /// replies, logouts and logins.
    mutating func work(_ onEvent: (EnOSGatewayEvent) -> Void) {
        guard client.session.isConnected else { return }
        let core = self.core
        if core.phase == .subscribing {
            while core.subscribeCursor < core.subscriptions.count {
                let end = min(core.subscribeCursor + EnOSGatewayCore<Clock>.subscriptionsPerPacket, core.subscriptions.count)
                do {
                    let id = try client.session.subscribe(core.subscriptions[core.subscribeCursor..<end])
                    core.subscribePacketIds[core.subscribeCursor / EnOSGatewayCore<Clock>.subscriptionsPerPacket] = id
                } catch {
                    client.flush { core.process($0, onEvent) }
                    return   // output full: continue on the next round
                }
                core.subscribeCursor = end
            }
            core.phase = .announcing
        }
        if core.phase == .announcing {
            if !core.informSent, let version = core.configuration.firmwareVersion {
                let id = core.takeRequestId()
                var w = JSONWriter(buffer: core.controlBuffer)
                if (try? EnOSRequestEncoder.otaInform(&w, id: id, version: version)) != nil {
                    if case .windowFull = publishGatewayRequest(id: id, kind: .otaInform, payload: w.bytes, tag: 0, reported: false, onEvent) {
                        return
                    }
                }
            }
            core.informSent = true
            if !core.stateSent && core.configuration.postsConnectionState {
                if !postFullConnectionState(onEvent) { return }
            }
            core.stateSent = true
            core.phase = .ready
            onEvent(.connected)
        }
        guard core.phase == .ready else { return }
        sendErrorReplies(onEvent)
        sendLogouts(onEvent)
        sendTopology(onEvent)
        sendLogins(onEvent)
        sendModelRequests(onEvent)
        client.flush { core.process($0, onEvent) }
    }

    mutating func postFullConnectionState(_ onEvent: (EnOSGatewayEvent) -> Void) -> Bool {
        let id = core.takeRequestId()
        var w = JSONWriter(buffer: core.controlBuffer)
        let g = core.configuration.gateway
        let gatewayNode = EnOSConnectionNode(nodeId: g.deviceKey, state: .connected, name: g.deviceKey)
        let nodes = EnOSSubDeviceNodes(devices: core.configuration.subDevices, wanted: core.subDevices.wanted)
        do {
            try EnOSRequestEncoder.connectionState(&w, id: id, gateway: gatewayNode, nodes: nodes, full: true,
                                                   reportTimeMilliseconds: clock.wallNow().milliseconds)
        } catch {
            return true   // too many nodes for the control buffer: skip the report rather than stall
        }
        if case .windowFull = publishGatewayRequest(id: id, kind: .connectionStatePost, payload: w.bytes, tag: 0, reported: false, onEvent) {
            return false
        }
        return true
    }

    mutating func sendErrorReplies(_ onEvent: (EnOSGatewayEvent) -> Void) {
        let core = self.core
        var sent = 0
        while sent < core.autoReplyCount {
            let slotStart = sent * EnOSGatewayCore<Clock>.autoReplySlotBytes
            let r = core.autoReplies[sent]
            let topicEnd = slotStart + r.topicCount
            let id = UnsafeRawBufferPointer(rebasing: core.autoReplyStorage[topicEnd..<(topicEnd + r.idCount)])
            var w = JSONWriter(buffer: core.controlBuffer)
            let code = r.error?.code ?? EnOSReplyCode.success
            let encoded: Void?
            if let error = r.error {
                encoded = try? EnOSRequestEncoder.commandReply(&w, id: id, code: code, message: error.description)
            } else {
                encoded = try? EnOSRequestEncoder.commandReply(&w, id: id, code: code, message: "")
            }
            if encoded == nil {
                sent += 1
                continue
            }
            let topic = UnsafeRawBufferPointer(rebasing: core.autoReplyStorage[slotStart..<topicEnd])
            let result = try? client.session.publish(topic: topic, payload: w.bytes, qos: .atMostOnce)
            if result == .wouldBlock { break }
            sent += 1
        }
        // Keep the unsent ones at the front.
        if sent > 0 {
            let slot = EnOSGatewayCore<Clock>.autoReplySlotBytes
            var k = 0
            while sent + k < core.autoReplyCount {
                let from = (sent + k) * slot
                core.autoReplyStorage.baseAddress!.advanced(by: k * slot)
                    .copyMemory(from: core.autoReplyStorage.baseAddress!.advanced(by: from), byteCount: slot)
                core.autoReplies[k] = core.autoReplies[sent + k]
                k += 1
            }
            core.autoReplyCount = k
        }
    }

    mutating func sendLogouts(_ onEvent: (EnOSGatewayEvent) -> Void) {
        let subs = core.subDevices.count
        for i in 0..<subs where core.subDevices.logoutDue[i] {
            if core.pending.isFull { return }
            let id = core.takeRequestId()
            var w = JSONWriter(buffer: core.controlBuffer)
            let sub = core.configuration.subDevices[i]
            guard (try? EnOSRequestEncoder.subDeviceLogout(&w, id: id, productKey: sub.productKey, deviceKey: sub.deviceKey)) != nil else {
                core.subDevices.logoutDue[i] = false
                continue
            }
            if case .sent = publishGatewayRequest(id: id, kind: .subDeviceLogout, payload: w.bytes, tag: 0, reported: false,
                                                  subDevice: Int32(i), onEvent) {
                core.subDevices.logoutDue[i] = false
                core.subDevices.status[i] = .loggingOut
                core.subDevices.request[i] = 0
            } else {
                return
            }
        }
    }

    /// With `managesTopology`: asks for the topology once per connection, then adds the wanted
    /// sub-devices it lacks (batches of `loginBatchSize`; after a refused batch, one at a time;
    /// after a refused single add, when its retry time passed). Logins wait for this.
    mutating func sendTopology(_ onEvent: (EnOSGatewayEvent) -> Void) {
        let core = self.core
        guard core.configuration.managesTopology, core.subDevices.count > 0 else { return }
        switch core.topologyQuery {
        case .notAsked:
            if core.pending.isFull { return }
            let id = core.takeRequestId()
            var w = JSONWriter(buffer: core.controlBuffer)
            guard (try? EnOSRequestEncoder.topologyGet(&w, id: id)) != nil else {
                core.topologyKnown(reply: nil)
                break
            }
            guard case .sent = publishGatewayRequest(id: id, kind: .topologyGet, payload: w.bytes, tag: 0, reported: false,
                                                     onEvent) else { return }
            core.topologyQuery = .asking(id)
            return
        case .asking:
            return
        case .known:
            break
        }
        let now = clock.monotonicNow()
        sendTopologyAdds(alone: false, now: now, onEvent)
        sendTopologyAdds(alone: true, now: now, onEvent)
    }

    mutating func sendTopologyAdds(alone: Bool, now: MonotonicInstant, _ onEvent: (EnOSGatewayEvent) -> Void) {
        let core = self.core
        while !core.pending.isFull {
            var selection = EnOSTopologySelection(count: core.subDevices.count, wanted: core.subDevices.wanted,
                                                  cloud: core.subDevices.cloud, topology: core.subDevices.topology,
                                                  retryAt: core.subDevices.retryAt, now: now, alone: alone,
                                                  limit: alone ? 1 : max(1, core.configuration.loginBatchSize))
            let due = selection.countDue()
            guard due > 0 else { return }
            let id = core.takeRequestId()
            let wall = clock.wallNow().milliseconds
            let clientId = core.configuration.clientId ?? core.configuration.gateway.deviceKey
            var w = JSONWriter(buffer: core.controlBuffer)
            var limit = due
            while true {
                w.reset()
                selection.limit = limit
                do {
                    try EnOSRequestEncoder.topologyAdd(&w, id: id, clientId: clientId, timestampMilliseconds: wall,
                                                       subDevices: core.configuration.subDevices, indices: selection,
                                                       hasher: &core.hasher)
                    break
                } catch {
                    if limit == 1 { return }   // not even one entry fits the control buffer
                    limit /= 2
                }
            }
            guard case .sent = publishGatewayRequest(id: id, kind: .topologyAdd, payload: w.bytes, tag: 0, reported: false,
                                                     onEvent) else { return }
            for i in selection {
                core.subDevices.topology[i] = .adding
                core.subDevices.request[i] = id
            }
        }
    }

    mutating func sendLogins(_ onEvent: (EnOSGatewayEvent) -> Void) {
        let core = self.core
        let now = clock.monotonicNow()
        while !core.pending.isFull {
            var room = core.configuration.maximumOnlineSubDevices - core.subDevices.activeCount
            guard room > 0 else {
                // The cap is reached: those waiting hear so, and try again later.
                for i in 0..<core.subDevices.count where core.subDevices.loginDue(i, now: now) {
                    core.settleLogin(i, ok: false, code: EnOSGatewayEvent.tooManyOnline, now: now, onEvent)
                }
                return
            }
            room = min(room, max(1, core.configuration.loginBatchSize))
            var selection = EnOSLoginSelection(count: core.subDevices.count, table: core.subDevices.wanted,
                                               status: core.subDevices.status, retryAt: core.subDevices.retryAt,
                                               cloud: core.subDevices.cloud, topology: core.subDevices.topology,
                                               now: now, limit: room)
            let due = selection.countDue()
            guard due > 0 else { return }
            let id = core.takeRequestId()
            let wall = clock.wallNow().milliseconds
            let g = core.configuration.gateway
            let clientId = core.configuration.clientId ?? g.deviceKey
            var w = JSONWriter(buffer: core.controlBuffer)
            var kind = EnOSRequestKind.subDeviceLoginBatch
            var single: Int32 = -1
            var limit = due
            while true {
                w.reset()
                selection.limit = limit
                do {
                    if limit == 1, let only = selection.first() {
                        kind = .subDeviceLogin
                        single = Int32(only)
                        // The SDK's per-device client id `{pk}.{dk}.{timestamp}` (Java `SubDeviceLoginInfo`);
                        // a batch shares one (Java's `SubDeviceLoginBatchRequest` does too).
                        try EnOSRequestEncoder.subDeviceLogin(&w, id: id, timestampMilliseconds: wall,
                                                              device: core.configuration.subDevices[only], hasher: &core.hasher)
                    } else {
                        try EnOSRequestEncoder.subDeviceLoginBatch(&w, id: id, clientId: clientId, timestampMilliseconds: wall,
                                                                   subDevices: core.configuration.subDevices,
                                                                   indices: selection, hasher: &core.hasher)
                    }
                    break
                } catch {
                    if limit == 1 { return }   // not even one login fits the control buffer
                    limit /= 2
                }
            }
            guard case .sent = publishGatewayRequest(id: id, kind: kind, payload: w.bytes, tag: 0, reported: false,
                                                     subDevice: single, onEvent) else { return }
            for i in selection {
                core.subDevices.status[i] = .loggingIn
                core.subDevices.request[i] = id
            }
        }
    }
}

/// The sub-devices due for login, in index order, at most `limit` (a Sequence of indices that
/// reads the state tables in place): wanted, allowed by the cloud, in the topology (always, when
/// the gateway does not manage it), and offline or failed with the retry time passed. `count` is
/// the number of sub-devices, not the tables' capacity: the tables hold at least one slot, also
/// for a gateway without sub-devices.
struct EnOSLoginSelection: Sequence {
    let count: Int
    let table: UnsafeMutableBufferPointer<Bool>
    let status: UnsafeMutableBufferPointer<EnOSSubDeviceTable.Status>
    let retryAt: UnsafeMutableBufferPointer<MonotonicInstant>
    let cloud: UnsafeMutableBufferPointer<EnOSSubDeviceNotice>
    let topology: UnsafeMutableBufferPointer<EnOSSubDeviceTable.Topology>
    let now: MonotonicInstant
    var limit: Int

    init(count: Int, table: UnsafeMutableBufferPointer<Bool>, status: UnsafeMutableBufferPointer<EnOSSubDeviceTable.Status>,
         retryAt: UnsafeMutableBufferPointer<MonotonicInstant>, cloud: UnsafeMutableBufferPointer<EnOSSubDeviceNotice>,
         topology: UnsafeMutableBufferPointer<EnOSSubDeviceTable.Topology>, now: MonotonicInstant, limit: Int) {
        // Two-argument mins: the variadic one allocates its array on every login round.
        self.count = Swift.min(Swift.min(Swift.min(count, table.count), Swift.min(status.count, retryAt.count)),
                               Swift.min(cloud.count, topology.count))
        self.table = table
        self.status = status
        self.retryAt = retryAt
        self.cloud = cloud
        self.topology = topology
        self.now = now
        self.limit = limit
    }

    func isDue(_ i: Int) -> Bool {
        guard table[i], cloud[i] == .enabled, topology[i] == .present else { return false }
        switch status[i] {
        case .offline: return true
        case .failed: return now >= retryAt[i]
        default: return false
        }
    }

    func countDue() -> Int {
        var n = 0
        for _ in self { n += 1 }
        return n
    }

    func first() -> Int? {
        var it = makeIterator()
        return it.next()
    }

    func makeIterator() -> Iterator { Iterator(selection: self) }

    struct Iterator: IteratorProtocol {
        let selection: EnOSLoginSelection
        var index = 0
        var produced = 0

        mutating func next() -> Int? {
            while produced < selection.limit && index < selection.count {
                let i = index
                index += 1
                if selection.isDue(i) {
                    produced += 1
                    return i
                }
            }
            return nil
        }
    }
}

/// The sub-device nodes of a full `connection.state.post`: connected if the agent wants the
/// sub-device (its field device answers), disconnected otherwise.
struct EnOSSubDeviceNodes: Sequence {
    let devices: [EnOSDeviceIdentity]
    let wanted: UnsafeMutableBufferPointer<Bool>

    func makeIterator() -> Iterator { Iterator(nodes: self) }

    struct Iterator: IteratorProtocol {
        let nodes: EnOSSubDeviceNodes
        var index = 0

        mutating func next() -> EnOSConnectionNode? {
            guard index < nodes.devices.count else { return nil }
            let d = nodes.devices[index]
            let state: EnOSConnectionNode.State = nodes.wanted[index] ? .connected : .disconnected
            index += 1
            return EnOSConnectionNode(nodeId: d.deviceKey, state: state, name: d.deviceKey)
        }
    }
}

/// The sub-devices due for `thing.topo.add`, in index order, at most `limit`: wanted, allowed by
/// the cloud, and missing from the topology (`alone` false), or (`alone` true) missing after a
/// refused batch, or refused alone before and with the retry time passed.
struct EnOSTopologySelection: Sequence {
    let count: Int
    let wanted: UnsafeMutableBufferPointer<Bool>
    let cloud: UnsafeMutableBufferPointer<EnOSSubDeviceNotice>
    let topology: UnsafeMutableBufferPointer<EnOSSubDeviceTable.Topology>
    let retryAt: UnsafeMutableBufferPointer<MonotonicInstant>
    let now: MonotonicInstant
    let alone: Bool
    var limit: Int

    init(count: Int, wanted: UnsafeMutableBufferPointer<Bool>, cloud: UnsafeMutableBufferPointer<EnOSSubDeviceNotice>,
         topology: UnsafeMutableBufferPointer<EnOSSubDeviceTable.Topology>, retryAt: UnsafeMutableBufferPointer<MonotonicInstant>,
         now: MonotonicInstant, alone: Bool, limit: Int) {
        self.count = Swift.min(Swift.min(Swift.min(count, wanted.count), Swift.min(cloud.count, topology.count)), retryAt.count)
        self.wanted = wanted
        self.cloud = cloud
        self.topology = topology
        self.retryAt = retryAt
        self.now = now
        self.alone = alone
        self.limit = limit
    }

    func isDue(_ i: Int) -> Bool {
        guard wanted[i], cloud[i] == .enabled else { return false }
        switch topology[i] {
        case .missing: return !alone
        case .missingAlone: return alone
        case .failed: return alone && now >= retryAt[i]
        default: return false
        }
    }

    func countDue() -> Int {
        var n = 0
        for _ in self { n += 1 }
        return n
    }

    func makeIterator() -> Iterator { Iterator(selection: self) }

    struct Iterator: IteratorProtocol {
        let selection: EnOSTopologySelection
        var index = 0
        var produced = 0

        mutating func next() -> Int? {
            while produced < selection.limit && index < selection.count {
                let i = index
                index += 1
                if selection.isDue(i) {
                    produced += 1
                    return i
                }
            }
            return nil
        }
    }
}
