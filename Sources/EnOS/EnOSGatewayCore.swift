import EdgeCore
import EdgeCrypto
import MQTT

/// The part of `EnOSGateway` that reacts to MQTT events while the MQTT client is busy calling
/// back (so it cannot live in the same struct as the client): routing, reply matching, command
/// decoding, sub-device states, and the work to do once the client is free again. A class so
/// the client's callback can reach it; allocated once at start-up.
final class EnOSGatewayCore<Clock: EdgeClock> {
    enum Phase {
        case down
        /// CONNACK received: SUBSCRIBE packets are going out.
        case subscribing
        /// Subscribed: inform and the full connection state go out.
        case announcing
        /// `.connected` has been reported; requests flow.
        case ready
    }

    /// A command answered by this layer, waiting for its reply (QoS 0; retried while the output
    /// is full): a rejected one with its error, or an accepted sub-device notice (`error` nil: 200).
    struct AutoReply {
        var topicCount = 0
        var idCount = 0
        var error: EnOSMessageError?
    }

    /// The `thing.topo.get` of this connection (when the gateway manages the topology).
    enum TopologyQuery: Equatable {
        case notAsked
        case asking(UInt32)
        /// Answered (or failed: then every sub-device counts as missing and gets its add).
        case known
    }

    static var autoReplySlots: Int { 4 }
    static var autoReplySlotBytes: Int { 384 }
    static var subscriptionsPerPacket: Int { 8 }

    let configuration: EnOSGatewayConfiguration
    let clock: Clock
    let subscriptions: [MQTTSubscription]
    var phase = Phase.down
    var subscribeCursor = 0
    /// The packet id of each SUBSCRIBE of this connection (packet k holds subscriptions
    /// k * subscriptionsPerPacket ..< (k + 1) * subscriptionsPerPacket), 0 before it goes out.
    var subscribePacketIds: [UInt16]
    var informSent = false
    var stateSent = false
    var topologyQuery = TopologyQuery.notAsked
    /// Which sub-devices' products had their model asked for on this connection.
    var modelAsked: UnsafeMutableBufferPointer<Bool>
    var pending: EnOSPendingRequests
    var subDevices: EnOSSubDeviceTable
    var hasher = SHA256()
    var nextRequestId: UInt32 = 1
    let topicBuffer: UnsafeMutableRawBufferPointer
    let controlBuffer: UnsafeMutableRawBufferPointer
    let autoReplyStorage: UnsafeMutableRawBufferPointer
    var autoReplies: UnsafeMutableBufferPointer<AutoReply>
    var autoReplyCount = 0
    /// Messages on no topic we know, replies we could not parse, replies nobody waited for.
    var ignoredMessages = 0
    var unmatchedReplies = 0
    var droppedErrorReplies = 0

    init(configuration: EnOSGatewayConfiguration, clock: Clock) {
        self.configuration = configuration
        self.clock = clock
        pending = EnOSPendingRequests(capacity: configuration.pendingCapacity)
        subDevices = EnOSSubDeviceTable(count: configuration.subDevices.count, requiresTopology: configuration.managesTopology)
        topicBuffer = .allocate(byteCount: 512, alignment: 8)
        controlBuffer = .allocate(byteCount: configuration.controlBufferBytes, alignment: 8)
        autoReplyStorage = .allocate(byteCount: Self.autoReplySlots * Self.autoReplySlotBytes, alignment: 8)
        autoReplies = .allocate(capacity: Self.autoReplySlots)
        autoReplies.initialize(repeating: AutoReply(error: nil))
        subscriptions = Self.makeSubscriptions(configuration)
        modelAsked = .allocate(capacity: max(1, configuration.subDevices.count))
        modelAsked.initialize(repeating: false)
        subscribePacketIds = [UInt16](repeating: 0, count: (subscriptions.count + Self.subscriptionsPerPacket - 1) / Self.subscriptionsPerPacket)
    }

    deinit {
        topicBuffer.deallocate()
        controlBuffer.deallocate()
        autoReplyStorage.deallocate()
        autoReplies.deallocate()
        modelAsked.deallocate()
    }

    /// Every topic filter the gateway needs: reply topics of its requests, command topics of the
    /// gateway and each sub-device. Explicit filters rather than `#`, so that our own publishes
    /// are not delivered back to us.
    static func makeSubscriptions(_ c: EnOSGatewayConfiguration) -> [MQTTSubscription] {
        let pk = c.gateway.productKey, dk = c.gateway.deviceKey
        var list: [MQTTSubscription] = []
        for suffix in ["thing/measurepoint/post_reply", "thing/measurepoint/post/batch_reply",
                       "thing/measurepoint/resume_reply", "thing/measurepoint/resume/batch_reply",
                       "thing/event/+/post_reply", "connection/state/post_reply",
                       "ota/device/inform_reply", "ota/device/progress_reply", "ota/device/upgrade",
                       "thing/service/+", "thing/service/measurepoint/+"] {
            list.append(MQTTSubscription(EnOSTopic.filter(session: false, productKey: pk, deviceKey: dk, suffix: suffix)))
        }
        if c.managesTopology && !c.subDevices.isEmpty {
            for suffix in ["thing/topo/get_reply", "thing/topo/add_reply"] {
                list.append(MQTTSubscription(EnOSTopic.filter(session: false, productKey: pk, deviceKey: dk, suffix: suffix)))
            }
        }
        for suffix in ["combine/login_reply", "combine/login/batch_reply", "combine/logout_reply",
                       "combine/enable", "combine/disable", "combine/delete"] {
            list.append(MQTTSubscription(EnOSTopic.filter(session: true, productKey: pk, deviceKey: dk, suffix: suffix)))
        }
        for sub in c.subDevices {
            for suffix in ["thing/service/+", "thing/service/measurepoint/+", "ota/device/upgrade"] {
                list.append(MQTTSubscription(EnOSTopic.filter(session: false, productKey: sub.productKey,
                                                              deviceKey: sub.deviceKey, suffix: suffix)))
            }
        }
        if c.postsDeviceEvents {
            for sub in c.subDevices {
                list.append(MQTTSubscription(EnOSTopic.filter(session: false, productKey: sub.productKey,
                                                              deviceKey: sub.deviceKey, suffix: "thing/event/+/post_reply")))
            }
        }
        if c.checksModels {
            for sub in c.subDevices {
                list.append(MQTTSubscription(EnOSTopic.filter(session: false, productKey: sub.productKey,
                                                              deviceKey: sub.deviceKey, suffix: "thing/tsltemplate/get_reply")))
            }
        }
        return list
    }

    func takeRequestId() -> UInt32 {
        let id = nextRequestId
        nextRequestId = nextRequestId == UInt32.max ? 1 : nextRequestId + 1
        return id
    }

    // MARK: MQTT events (called while the client is busy)

    func process(_ event: MQTTClientEvent, _ onEvent: (EnOSGatewayEvent) -> Void) {
        switch event {
        case .session(let e):
            switch e {
            case .connected:
                phase = .subscribing
                subscribeCursor = 0
                for k in subscribePacketIds.indices { subscribePacketIds[k] = 0 }
                informSent = false
                stateSent = false
                topologyQuery = .notAsked
                subDevices.resetAll()
                for k in modelAsked.indices { modelAsked[k] = false }   // a changed model is picked up
            case .message(let m):
                receive(m, onEvent)
            case .subscribed(let packetId, let returnCodes):
                subscribed(packetId: packetId, returnCodes: returnCodes, onEvent)
            case .published(let packetId):
                if configuration.acknowledgement == .brokerPuback, let entry = pending.remove(packetId: packetId) {
                    complete(entry, code: EnOSReplyCode.success, reply: nil, onEvent)
                }
            default:
                break
            }
        case .connectionLost(let error):
            let wasUp = phase != .down
            phase = .down
            topologyQuery = .notAsked
            drainPending(onEvent)
            subDevices.resetAll()
            autoReplyCount = 0
            _ = wasUp
            onEvent(.disconnected(error))
        }
    }

    /// A SUBACK: each refused filter (0x80) is reported (the others are granted at some QoS).
    func subscribed(packetId: UInt16, returnCodes: UnsafeRawBufferPointer, _ onEvent: (EnOSGatewayEvent) -> Void) {
        var k = 0
        while k < subscribePacketIds.count && subscribePacketIds[k] != packetId { k += 1 }
        guard k < subscribePacketIds.count, packetId != 0 else { return }
        let first = k * Self.subscriptionsPerPacket
        var j = 0
        while j < returnCodes.count && first + j < subscriptions.count {
            if returnCodes[j] & 0x80 != 0 { onEvent(.subscriptionRefused(topicFilter: subscriptions[first + j].topicFilter)) }
            j += 1
        }
    }

    func drainPending(_ onEvent: (EnOSGatewayEvent) -> Void) {
        while let entry = pending.removeAny() {
            if entry.reported { onEvent(.replyTimedOut(id: entry.id, tag: entry.tag, kind: entry.kind)) }
        }
    }

    func receive(_ m: MQTTPublish, _ onEvent: (EnOSGatewayEvent) -> Void) {
        let route = EnOSTopicRouter.route(m.topic, gateway: configuration.gateway, subDevices: configuration.subDevices)
        switch route.target {
        case .reply(let kind):
            guard configuration.acknowledgement == .cloudReply else { return }
            guard let reply = try? EnOSReply.decode(m.payload), let id = reply.id,
                  let entry = pending.remove(id: id, kind: kind) else {
                unmatchedReplies += 1
                return
            }
            complete(entry, code: reply.code, reply: reply, onEvent)
        case .command:
            do {
                let command = try EnOSCommandDecoder.decode(topic: m.topic, route: route, payload: m.payload)
                if command.kind.isSessionTopic {
                    notice(command, topic: m.topic, payload: m.payload, onEvent)
                } else {
                    onEvent(.command(command))
                }
            } catch {
                queueErrorReply(topic: m.topic, payload: m.payload, error: error)
                onEvent(.commandRejected(error))
            }
        case .commandReplyEcho:
            break
        case .unknown:
            // A command topic of one of our devices that this layer does not handle: answer 1101
            // if it carries an id (spec §6.4: always reply); raw or id-less payloads are ignored.
            guard route.device != .unknown, !EnOSTopicRouter.hasSuffix(m.topic, "_reply"),
                  let envelope = try? EnOSEnvelope.parse(m.payload, valueKey: "params"), let id = envelope.id else {
                ignoredMessages += 1
                return
            }
            let error = EnOSMessageError(.unknownCommand, idToken: id)
            queueErrorReply(topic: m.topic, payload: m.payload, error: error)
            onEvent(.commandRejected(error))
        }
    }

    /// A `combine.enable/disable/delete` notice (spec §4.7): each named sub-device of ours takes
    /// the cloud's word (disabled or deleted: logged out, no further logins; enabled: logged in
    /// again), each change is reported once, and the notice is answered 200 (unknown devices
    /// change nothing). A deleted sub-device stays deleted for this process.
    func notice(_ command: EnOSCommand, topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer,
                _ onEvent: (EnOSGatewayEvent) -> Void) {
        let said: EnOSSubDeviceNotice
        switch command.kind {
        case .subDevicesEnabled: said = .enabled
        case .subDevicesDisabled: said = .disabled
        default: said = .deleted
        }
        let now = clock.monotonicNow()
        for (pk, dk) in command.subDeviceKeys() {
            guard let i = index(pk, dk) else { continue }
            let before = subDevices.cloud[i]
            guard before != said, before != .deleted else { continue }
            subDevices.cloud[i] = said
            switch said {
            case .enabled:
                subDevices.failures[i] = 0
                if subDevices.status[i] == .failed { subDevices.retryAt[i] = now }
            case .disabled, .deleted:
                let s = subDevices.status[i]
                if s == .online || s == .loggingIn { subDevices.logoutDue[i] = true }
                if s == .failed { subDevices.status[i] = .offline }
            }
            onEvent(.subDeviceNotice(i, said))
        }
        queueReply(topic: topic, id: command.id, error: nil)
    }

    /// Keeps what an error reply needs: the topic + `_reply`, the id, the error.
    func queueErrorReply(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, error: EnOSMessageError) {
        guard let idToken = error.idToken else { droppedErrorReplies += 1; return }
        queueReply(topic: topic, id: EnOSText(input: payload, token: idToken), error: error)
    }

    /// Keeps what a reply of this layer needs: the topic + `_reply`, the id, the error (nil: 200).
    func queueReply(topic: UnsafeRawBufferPointer, id: EnOSText, error: EnOSMessageError?) {
        guard autoReplyCount < Self.autoReplySlots else { droppedErrorReplies += 1; return }
        let slot = UnsafeMutableRawBufferPointer(rebasing: autoReplyStorage[(autoReplyCount * Self.autoReplySlotBytes)...]
            .prefix(Self.autoReplySlotBytes))
        let topicBytes = topic.count + 6
        guard topicBytes + EnOSReplyHandle.maximumIdBytes <= slot.count else { droppedErrorReplies += 1; return }
        var w = EnOSByteWriter(slot)
        w.append(bytes: topic)
        w.append("_reply")
        let idSpace = UnsafeMutableRawBufferPointer(rebasing: slot[topicBytes..<(topicBytes + EnOSReplyHandle.maximumIdBytes)])
        guard let idCount = id.copy(into: idSpace) else { droppedErrorReplies += 1; return }
        autoReplies[autoReplyCount] = AutoReply(topicCount: topicBytes, idCount: idCount, error: error)
        autoReplyCount += 1
    }

    /// A request is settled: by its reply, by PUBACK (plain broker) or by timeout (`reply` nil).
    func complete(_ entry: EnOSPendingRequests.Entry, code: Int, reply: EnOSReply?, _ onEvent: (EnOSGatewayEvent) -> Void) {
        let now = clock.monotonicNow()
        switch entry.kind {
        case .subDeviceLogin:
            let i = Int(entry.subDevice)
            guard i >= 0, i < subDevices.count, subDevices.request[i] == entry.id else { return }
            settleLogin(i, ok: code == EnOSReplyCode.success, code: code, message: reply?.message, now: now, onEvent)
        case .subDeviceLoginBatch:
            if let reply {
                var results = reply.loginBatchResults()
                while let (pk, dk) = results.logined.next() {
                    if let i = index(pk, dk), subDevices.request[i] == entry.id { settleLogin(i, ok: true, code: code, now: now, onEvent) }
                }
                while let (pk, dk) = results.failed.next() {
                    if let i = index(pk, dk), subDevices.request[i] == entry.id {
                        settleLogin(i, ok: false, code: code == EnOSReplyCode.success ? EnOSReplyCode.payloadFormatError : code,
                                    message: reply.message, now: now, onEvent)
                    }
                }
            }
            // Those the lists did not mention: the overall code decides.
            for i in 0..<subDevices.count where subDevices.status[i] == .loggingIn && subDevices.request[i] == entry.id {
                settleLogin(i, ok: code == EnOSReplyCode.success, code: code, message: reply?.message, now: now, onEvent)
            }
        case .subDeviceLogout:
            let i = Int(entry.subDevice)
            guard i >= 0, i < subDevices.count else { return }
            if subDevices.status[i] == .loggingOut { subDevices.status[i] = .offline }
            if code == EnOSReplyCode.success { onEvent(.subDeviceLoggedOut(i)) }
        case .topologyGet:
            guard topologyQuery == .asking(entry.id) else { return }
            topologyKnown(reply: code == EnOSReplyCode.success ? reply : nil)
        case .topologyAdd:
            topologyAdded(entry.id, code: code, message: reply?.message, now: now, onEvent)
        case .tslTemplateGet:
            onEvent(.model(subDevice: Int(entry.subDevice), code: code,
                           data: reply?.data ?? UnsafeRawBufferPointer(start: nil, count: 0)))
        default:
            if entry.reported {
                onEvent(.reply(id: entry.id, tag: entry.tag, kind: entry.kind, code: code, message: reply?.message))
            }
        }
    }

    func settleLogin(_ i: Int, ok: Bool, code: Int, message: EnOSText? = nil, now: MonotonicInstant,
                     _ onEvent: (EnOSGatewayEvent) -> Void) {
        subDevices.request[i] = 0
        if ok {
            subDevices.status[i] = .online
            subDevices.failures[i] = 0
            onEvent(.subDeviceLoggedIn(i))
        } else {
            subDevices.status[i] = .failed
            let failures = subDevices.failures[i] == .max ? .max : subDevices.failures[i] + 1
            subDevices.failures[i] = failures
            subDevices.retryAt[i] = now.advanced(byMilliseconds: EnOSSubDeviceTable.retryDelay(base: configuration.loginRetryMilliseconds,
                                                                                              failures: failures))
            onEvent(.subDeviceLoginFailed(i, code: code, message: message))
        }
    }

    /// The reply to `thing.topo.get` (nil: refused or not answered): the sub-devices it lists are
    /// in the topology, the others are missing. Without an answer every one counts as missing:
    /// `thing.topo.add` then says for each whether it can be attached.
    func topologyKnown(reply: EnOSReply?) {
        topologyQuery = .known
        if let reply {
            var listed = EnOSDeviceKeyIterator(reply.data)
            while let (pk, dk) = listed.next() {
                if let i = index(pk, dk), subDevices.topology[i] == .unknown { subDevices.topology[i] = .present }
            }
        }
        for i in 0..<subDevices.count where subDevices.topology[i] == .unknown { subDevices.topology[i] = .missing }
    }

    /// The reply to `thing.topo.add` request `id` (or its timeout). Accepted: its sub-devices are
    /// in the topology and may log in now. Refused: a batch is retried one sub-device at a time
    /// (the cloud does not say which entry it refused); a single one fails like a login (reported
    /// with the code, retried after the growing login delay, not logged in meanwhile).
    func topologyAdded(_ id: UInt32, code: Int, message: EnOSText?, now: MonotonicInstant, _ onEvent: (EnOSGatewayEvent) -> Void) {
        var sent = 0
        for i in 0..<subDevices.count where subDevices.topology[i] == .adding && subDevices.request[i] == id { sent += 1 }
        for i in 0..<subDevices.count where subDevices.topology[i] == .adding && subDevices.request[i] == id {
            subDevices.request[i] = 0
            if code == EnOSReplyCode.success {
                subDevices.topology[i] = .present
                if subDevices.status[i] == .failed { subDevices.retryAt[i] = now }
            } else if sent > 1 {
                subDevices.topology[i] = .missingAlone
            } else {
                subDevices.topology[i] = .failed
                settleLogin(i, ok: false, code: code, message: message, now: now, onEvent)
            }
        }
    }

    func index(_ pk: EnOSText, _ dk: EnOSText) -> Int? {
        let subs = configuration.subDevices
        var i = 0
        while i < subs.count {   // an index loop: enumerated() allocates in debug builds
            if dk.equals(subs[i].deviceKey) && pk.equals(subs[i].productKey) { return i }
            i += 1
        }
        return nil
    }

    /// Requests whose deadline passed.
    func expire(_ onEvent: (EnOSGatewayEvent) -> Void) {
        let now = clock.monotonicNow()
        while let entry = pending.removeExpired(now: now) {
            switch entry.kind {
            case .subDeviceLogin, .subDeviceLoginBatch, .subDeviceLogout, .topologyGet, .topologyAdd, .tslTemplateGet:
                complete(entry, code: EnOSGatewayEvent.timedOut, reply: nil, onEvent)
            default:
                if entry.reported { onEvent(.replyTimedOut(id: entry.id, tag: entry.tag, kind: entry.kind)) }
            }
        }
    }

    /// The next instant something of ours is due (a reply deadline, a login retry), or nil.
    func nextDeadline() -> MonotonicInstant? {
        var next = pending.nextDeadline
        if phase == .ready {
            for i in 0..<subDevices.count where subDevices.wanted[i] && subDevices.status[i] == .failed {
                if next == nil || subDevices.retryAt[i] < next! { next = subDevices.retryAt[i] }
            }
        }
        return next
    }
}
