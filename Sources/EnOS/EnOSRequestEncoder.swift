import EdgeCore
import EdgeCrypto

/// Encoders for the device→cloud messages other than measurepoints (see `EnOSMeasurepointMessage`)
/// and for command replies, writing with EdgeCore's `JSONWriter` into caller buffers. Ids are the
/// decimal strings of the caller's request counter. Every encoder writes one whole document or
/// throws (`bufferFull`…); none allocates.
public enum EnOSRequestEncoder {
    /// `{"id":"<id>","version":"1.0","method":"<method>"` — the caller writes `params` (and any
    /// top-level flags) and ends the object.
    public static func beginRequest(_ w: inout JSONWriter, id: UInt32, method: StaticString,
                                    methodSuffix: String? = nil, methodTail: StaticString? = nil) throws(JSONWriterError) {
        try w.beginObject()
        try w.key("id")
        try writeId(&w, id)
        try w.key("version")
        try w.value("1.0")
        try w.key("method")
        if methodSuffix == nil && methodTail == nil {
            try w.value(method)
        } else {
            // thing.event.{eventId}.post: assembled on the stack in a small scratch.
            var scratch: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var failure: JSONWriterError? = nil
            withUnsafeMutableBytes(of: &scratch) { raw in
                var b = EnOSByteWriter(raw)
                b.append(method)
                if let methodSuffix { b.append(methodSuffix) }
                if let methodTail { b.append(methodTail) }
                guard let bytes = b.bytes else { failure = .bufferFull; return }
                do throws(JSONWriterError) { try w.value(bytes: bytes) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// The id as a JSON string of its decimal digits.
    public static func writeId(_ w: inout JSONWriter, _ id: UInt32) throws(JSONWriterError) {
        var digits: (UInt64, UInt64) = (0, 0)
        var failure: JSONWriterError? = nil
        withUnsafeMutableBytes(of: &digits) { raw in
            var b = EnOSByteWriter(raw)
            b.appendDecimal(UInt64(id))
            do throws(JSONWriterError) { try w.value(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<b.count])) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// `combine.login.batch` (spec §4.5): one shared clientId/timestamp, each listed sub-device
    /// signed with its own secret. `indices` select entries of `subDevices`.
    public static func subDeviceLoginBatch<Indices: Sequence<Int>>(
        _ w: inout JSONWriter, id: UInt32, clientId: String, timestampMilliseconds: Int64,
        subDevices: [EnOSDeviceIdentity], indices: Indices, hasher: inout SHA256
    ) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "combine.login.batch")
        try w.key("params")
        try w.beginObject()
        try w.key("clientId")
        try w.value(clientId)
        try w.key("timestamp")
        try writeDecimalString(&w, timestampMilliseconds)
        try w.key("signMethod")
        try w.value("sha256")
        try w.key("subDevices")
        try w.beginArray()
        for n in indices {
            let sub = subDevices[n]
            try w.beginObject()
            try w.key("productKey")
            try w.value(sub.productKey)
            try w.key("deviceKey")
            try w.value(sub.deviceKey)
            try w.key("secureMode")
            try w.value("2")
            try w.key("sign")
            try writeSign(&w, clientId: clientId, device: sub, timestampMilliseconds: timestampMilliseconds, hasher: &hasher)
            try w.endObject()
        }
        try w.endArray()
        try w.endObject()
        try w.endObject()
    }

    /// The client id of a single `combine.login` when none is given: `{productKey}.{deviceKey}.{timestamp}`,
    /// one per sub-device and login, as the Java SDK's `SubDeviceLoginInfo` makes it.
    public static func subDeviceLoginClientId(_ device: EnOSDeviceIdentity, timestampMilliseconds: Int64,
                                              into buffer: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer? {
        var b = EnOSByteWriter(buffer)
        b.append(device.productKey)
        b.append(UInt8(ascii: "."))
        b.append(device.deviceKey)
        b.append(UInt8(ascii: "."))
        b.appendDecimal(timestampMilliseconds)
        return b.bytes
    }

    /// `combine.login` of one sub-device (spec §4.4). Without `clientId` the login carries (and
    /// signs) the SDK's per-device `{productKey}.{deviceKey}.{timestamp}` (`subDeviceLoginClientId`).
    public static func subDeviceLogin(_ w: inout JSONWriter, id: UInt32, clientId: String? = nil, timestampMilliseconds: Int64,
                                      device: EnOSDeviceIdentity, hasher: inout SHA256) throws(JSONWriterError) {
        guard let clientId else {
            var storage: InlineArray<320, UInt8> = InlineArray(repeating: 0)
            var failure: JSONWriterError? = nil
            withUnsafeMutableBytes(of: &storage) { raw in
                guard let composed = subDeviceLoginClientId(device, timestampMilliseconds: timestampMilliseconds, into: raw) else {
                    failure = .bufferFull
                    return
                }
                do throws(JSONWriterError) {
                    try subDeviceLogin(&w, id: id, clientIdBytes: composed, timestampMilliseconds: timestampMilliseconds,
                                       device: device, hasher: &hasher)
                } catch { failure = error }
            }
            if let failure { throw failure }
            return
        }
        var copy = clientId
        var failure: JSONWriterError? = nil
        copy.withUTF8 { utf8 in
            do throws(JSONWriterError) {
                try subDeviceLogin(&w, id: id, clientIdBytes: UnsafeRawBufferPointer(utf8), timestampMilliseconds: timestampMilliseconds,
                                   device: device, hasher: &hasher)
            } catch { failure = error }
        }
        if let failure { throw failure }
    }

    static func subDeviceLogin(_ w: inout JSONWriter, id: UInt32, clientIdBytes clientId: UnsafeRawBufferPointer,
                               timestampMilliseconds: Int64, device: EnOSDeviceIdentity,
                               hasher: inout SHA256) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "combine.login")
        try w.key("params")
        try w.beginObject()
        try w.key("productKey")
        try w.value(device.productKey)
        try w.key("deviceKey")
        try w.value(device.deviceKey)
        try w.key("clientId")
        try w.value(bytes: clientId)
        try w.key("timestamp")
        try writeDecimalString(&w, timestampMilliseconds)
        try w.key("signMethod")
        try w.value("sha256")
        try w.key("secureMode")
        try w.value("2")
        try w.key("sign")
        try writeSign(&w, clientIdBytes: clientId, device: device, timestampMilliseconds: timestampMilliseconds, hasher: &hasher)
        try w.endObject()
        try w.endObject()
    }

    /// `combine.logout` of one sub-device (spec §4.6).
    public static func subDeviceLogout(_ w: inout JSONWriter, id: UInt32, productKey: String, deviceKey: String) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "combine.logout")
        try w.key("params")
        try w.beginObject()
        try w.key("productKey")
        try w.value(productKey)
        try w.key("deviceKey")
        try w.value(deviceKey)
        try w.endObject()
        try w.endObject()
    }

    /// `connection.state.post` (spec §4.8). Full report (`relations` given): the gateway node and
    /// every node in `nodes`, related to the gateway. Delta (`relations` nil): only `nodes`.
    /// Node ids are the device keys.
    public static func connectionState<Nodes: Sequence<EnOSConnectionNode>>(
        _ w: inout JSONWriter, id: UInt32, gateway: EnOSConnectionNode?, nodes: Nodes, full: Bool,
        reportTimeMilliseconds: Int64
    ) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "connection.state.post")
        try w.key("params")
        try w.beginObject()
        try w.key("isFull")
        try w.value(full)
        try w.key("nodes")
        try w.beginArray()
        if let gateway { try gateway.write(&w) }
        for node in nodes { try node.write(&w) }
        try w.endArray()
        if full, let gateway {
            try w.key("relations")
            try w.beginObject()
            try w.key(gateway.nodeId)
            try w.beginArray()
            for node in nodes { try w.value(node.nodeId) }
            try w.endArray()
            try w.endObject()
        }
        try w.key("reportTime")
        try w.value(reportTimeMilliseconds)
        try w.endObject()
        try w.endObject()
    }

    /// `thing.event.{eventId}.post` (spec §5.5): `outputs` writes the event's output parameters
    /// as keys and values into the open `events` object.
    public static func eventPost(_ w: inout JSONWriter, id: UInt32, eventId: String, timeMilliseconds: Int64,
                                 outputs: (inout JSONWriter) throws(JSONWriterError) -> Void) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "thing.event.", methodSuffix: eventId, methodTail: ".post")
        try w.key("params")
        try w.beginObject()
        try w.key("events")
        try w.beginObject()
        try outputs(&w)
        try w.endObject()
        try w.key("time")
        try w.value(timeMilliseconds)
        try w.endObject()
        try w.endObject()
    }

    /// `thing.topo.get` (spec §4.3, topic `/sys/{gwPK}/{gwDK}/thing/topo/get`): `params` `{}`;
    /// the reply's `data` lists the gateway's sub-devices as `{productKey, deviceKey}`.
    public static func topologyGet(_ w: inout JSONWriter, id: UInt32) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "thing.topo.get")
        try w.key("params")
        try w.beginObject()
        try w.endObject()
        try w.endObject()
    }

    /// `thing.topo.add` (spec §4.3, topic `/sys/{gwPK}/{gwDK}/thing/topo/add`): attaches the
    /// listed sub-devices to the gateway, each entry signed with the sub-device's secret over the
    /// shared `clientId` and timestamp.
    public static func topologyAdd<Indices: Sequence<Int>>(
        _ w: inout JSONWriter, id: UInt32, clientId: String, timestampMilliseconds: Int64,
        subDevices: [EnOSDeviceIdentity], indices: Indices, hasher: inout SHA256
    ) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "thing.topo.add")
        try w.key("params")
        try w.beginArray()
        for n in indices {
            let sub = subDevices[n]
            try w.beginObject()
            try w.key("productKey")
            try w.value(sub.productKey)
            try w.key("deviceKey")
            try w.value(sub.deviceKey)
            try w.key("clientId")
            try w.value(clientId)
            try w.key("timestamp")
            try writeDecimalString(&w, timestampMilliseconds)
            try w.key("signMethod")
            try w.value("sha256")
            try w.key("sign")
            try writeSign(&w, clientId: clientId, device: sub, timestampMilliseconds: timestampMilliseconds, hasher: &hasher)
            try w.endObject()
        }
        try w.endArray()
        try w.endObject()
    }

    /// `ota.device.inform` (spec §7.1).
    public static func otaInform(_ w: inout JSONWriter, id: UInt32, version: String) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "ota.device.inform")
        try w.key("params")
        try w.beginObject()
        try w.key("version")
        try w.value(version)
        try w.endObject()
        try w.endObject()
    }

    /// `ota.device.progress` (spec §7.3): `step` 0...100, or a negative failure code
    /// (-1 generic, -2 download, -3 verification, -4 write, -5 ignored); sent as a string.
    public static func otaProgress(_ w: inout JSONWriter, id: UInt32, step: Int, description: String) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "ota.device.progress")
        try w.key("params")
        try w.beginObject()
        try w.key("step")
        try writeDecimalString(&w, Int64(step))
        try w.key("desc")
        try w.value(description)
        try w.endObject()
        try w.endObject()
    }

    /// A command reply `{"id":…,"code":…,"message":…,"data":…}` (spec §6.4). `id` is the command's
    /// id as received (unescaped UTF-8); `data` writes the data value (nil: `{}`).
    public static func commandReply(_ w: inout JSONWriter, id: UnsafeRawBufferPointer, code: Int, message: String,
                                    data: ((inout JSONWriter) throws(JSONWriterError) -> Void)? = nil) throws(JSONWriterError) {
        try w.beginObject()
        try w.key("id")
        try w.value(bytes: id)
        try w.key("code")
        try w.value(code)
        try w.key("message")
        try w.value(message)
        try w.key("data")
        if let data {
            try data(&w)
        } else {
            try w.beginObject()
            try w.endObject()
        }
        try w.endObject()
    }

    static func writeDecimalString(_ w: inout JSONWriter, _ value: Int64) throws(JSONWriterError) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var failure: JSONWriterError? = nil
        withUnsafeMutableBytes(of: &digits) { raw in
            var b = EnOSByteWriter(raw)
            b.appendDecimal(value)
            do throws(JSONWriterError) { try w.value(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<b.count])) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    static func writeSign(_ w: inout JSONWriter, clientIdBytes: UnsafeRawBufferPointer, device: EnOSDeviceIdentity,
                          timestampMilliseconds: Int64, hasher: inout SHA256) throws(JSONWriterError) {
        var sign: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var failure: JSONWriterError? = nil
        withUnsafeMutableBytes(of: &sign) { raw in
            EnOSSignature.write(clientIdBytes: clientIdBytes, productKey: device.productKey, deviceKey: device.deviceKey,
                                timestampMilliseconds: timestampMilliseconds, secret: device.deviceSecret,
                                hasher: &hasher, into: raw)
            do throws(JSONWriterError) { try w.value(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<EnOSSignature.length])) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    static func writeSign(_ w: inout JSONWriter, clientId: String, device: EnOSDeviceIdentity, timestampMilliseconds: Int64,
                          hasher: inout SHA256) throws(JSONWriterError) {
        var sign: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var failure: JSONWriterError? = nil
        withUnsafeMutableBytes(of: &sign) { raw in
            EnOSSignature.write(clientId: clientId, productKey: device.productKey, deviceKey: device.deviceKey,
                                timestampMilliseconds: timestampMilliseconds, secret: device.deviceSecret,
                                hasher: &hasher, into: raw)
            do throws(JSONWriterError) { try w.value(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<EnOSSignature.length])) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}

/// One node of a `connection.state.post` report: `nodeId` (we use device keys), the state
/// (1 connected, 2 disconnected, 3 unknown), optional name and info text.
public struct EnOSConnectionNode {
    public enum State: Int, Sendable {
        case connected = 1
        case disconnected = 2
        case unknown = 3
    }

    public var nodeId: String
    public var state: State
    public var name: String?
    public var info: StaticString?

    public init(nodeId: String, state: State, name: String? = nil, info: StaticString? = nil) {
        self.nodeId = nodeId
        self.state = state
        self.name = name
        self.info = info
    }

    func write(_ w: inout JSONWriter) throws(JSONWriterError) {
        try w.beginObject()
        try w.key("nodeId")
        try w.value(nodeId)
        try w.key("state")
        try w.value(state.rawValue)
        if let name {
            try w.key("name")
            try w.value(name)
        }
        if let info {
            try w.key("info")
            try w.value(info)
        }
        try w.endObject()
    }
}
