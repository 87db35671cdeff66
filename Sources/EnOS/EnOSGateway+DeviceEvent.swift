import EdgeCore
import MQTT

extension EnOSGateway where Transport: ~Copyable {
    /// The next request id (for a payload the caller encodes itself, e.g. an alarm's event).
    public mutating func takeRequestId() -> UInt32 { core.takeRequestId() }

    /// Publishes `payload` (a `thing.event.{eventId}.post` request with id `requestId`, encoded
    /// by the caller) on sub-device `index`'s topic `/sys/{pk}/{dk}/thing/event/{eventId}/post`,
    /// QoS 1; `tag` comes back with its reply or timeout (the sub-device's reply topic is
    /// subscribed with `postsDeviceEvents`). The topic is built from bytes: nothing allocates.
    public mutating func postDeviceEvent(subDevice index: Int, eventId: UnsafeRawBufferPointer, requestId: UInt32,
                                         payload: UnsafeRawBufferPointer, tag: UInt64,
                                         onEvent: (EnOSGatewayEvent) -> Void) -> EnOSPublishResult {
        guard index >= 0, index < core.configuration.subDevices.count, eventId.count > 0 else { return .invalid }
        guard isConnected else { return .notConnected }
        guard !core.pending.isFull else { return .windowFull }
        let sub = core.configuration.subDevices[index]
        var w = EnOSByteWriter(core.topicBuffer)
        EnOSTopic.prefix(&w, session: false, productKey: sub.productKey, deviceKey: sub.deviceKey)
        w.append("thing/event/")
        w.append(bytes: eventId)
        w.append("/post")
        guard let n = w.bytes?.count else { return .invalid }
        return publishRequest(id: requestId, kind: .eventPost, topicCount: n, payload: payload, tag: tag,
                              subDevice: -1, reported: true, onEvent)
    }
}
