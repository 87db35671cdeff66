import EdgeCore

/// Decodes a cloud command from its topic route and payload (no allocation): envelope, method
/// against topic, id, and the parameters' shape for the kind. Every refusal is an
/// `EnOSMessageError` carrying the reply code to answer with (and the id if it could be read).
public enum EnOSCommandDecoder {
    public static func decode(topic: UnsafeRawBufferPointer, route: EnOSRoute,
                              payload: UnsafeRawBufferPointer) throws(EnOSMessageError) -> EnOSCommand {
        let envelope = try EnOSEnvelope.parse(payload, valueKey: "params")
        guard let idToken = envelope.id else { throw EnOSMessageError(.missing(.id)) }
        guard let method = envelope.method else { throw EnOSMessageError(.missing(.method), idToken: idToken) }
        guard case .command(let kind) = route.target, route.device != .unknown else {
            throw EnOSMessageError(.unknownCommand, idToken: idToken)
        }
        let methodBytes = UnsafeRawBufferPointer(rebasing: payload[method.range])
        guard !method.hasEscapes, route.methodMatches(methodBytes, topic: topic) else {
            throw EnOSMessageError(.methodMismatch, idToken: idToken)
        }
        let params: UnsafeRawBufferPointer
        if let range = envelope.value {
            params = UnsafeRawBufferPointer(rebasing: payload[range])
        } else if kind == .service {
            params = UnsafeRawBufferPointer(start: nil, count: 0)   // a service without inputs
        } else {
            throw EnOSMessageError(.missing(.params), idToken: idToken)
        }
        var problem: EnOSMessageError? = nil
        switch kind {
        case .measurepointSet:
            problem = EnOSParameterIterator.validate(params)
        case .service:
            if params.count > 0 { problem = EnOSParameterIterator.validate(params) }
        case .measurepointGet:
            problem = EnOSTextIterator.validate(params)
        case .otaUpgrade:
            do { _ = try EnOSOTAUpgrade.decode(params) } catch { problem = error }
        case .subDevicesEnabled, .subDevicesDisabled, .subDevicesDeleted:
            problem = EnOSDeviceKeyIterator.validate(params, field: .params)
        }
        if var problem {
            problem.idToken = idToken
            throw problem
        }
        let id = EnOSText(input: payload, token: idToken)
        let serviceId = UnsafeRawBufferPointer(rebasing: topic[route.serviceId])
        guard let handle = EnOSReplyHandle(device: route.device, kind: kind, id: id, serviceId: serviceId) else {
            throw EnOSMessageError(.idTooLong, idToken: idToken)
        }
        return EnOSCommand(kind: kind, device: route.device, id: id, serviceId: serviceId, payload: payload,
                           params: params, replyHandle: handle)
    }
}

/// The cloud's reply to one of our requests (spec §2.2): our id (a decimal string), the code, the
/// message, and `data` as raw JSON. References the received buffer.
public struct EnOSReply {
    /// Our request id, or nil if the id is not one of ours (not a decimal UInt32).
    public var id: UInt32?
    public var code: Int
    public var message: EnOSText?
    /// The raw bytes of `data` (empty if absent).
    public var data: UnsafeRawBufferPointer

    /// Decodes a reply; `code` is required.
    public static func decode(_ payload: UnsafeRawBufferPointer) throws(EnOSMessageError) -> EnOSReply {
        let e = try EnOSEnvelope.parse(payload, valueKey: "data")
        guard let idToken = e.id else { throw EnOSMessageError(.missing(.id)) }
        guard let codeToken = e.code else { throw EnOSMessageError(.missing(.code), idToken: idToken) }
        let code = Int(clamping: (try? JSONReader(payload).int64(codeToken)) ?? Int64.min)
        var id: UInt32? = nil
        if !idToken.hasEscapes, idToken.range.count > 0, idToken.range.count <= 10 {
            var v: UInt64 = 0
            var ok = true
            for i in idToken.range {
                let b = payload[i]
                guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { ok = false; break }
                v = v * 10 + UInt64(b - UInt8(ascii: "0"))
            }
            if ok && v <= UInt64(UInt32.max) { id = UInt32(v) }
        }
        let message = e.message.map { EnOSText(input: payload, token: $0) }
        let data = e.value.map { UnsafeRawBufferPointer(rebasing: payload[$0]) } ?? UnsafeRawBufferPointer(start: nil, count: 0)
        return EnOSReply(id: id, code: code, message: message, data: data)
    }

    /// For a `combine.login.batch` reply: the sub-devices in `data.loginedSubDevices` and
    /// `data.failedSubDevices` (spec §4.5, partial success). Entries without both keys are skipped.
    public func loginBatchResults() -> EnOSLoginBatchResults { EnOSLoginBatchResults(data) }
}

/// The logged-in and failed lists of a `combine.login.batch` reply.
public struct EnOSLoginBatchResults {
    public var logined: EnOSDeviceKeyIterator
    public var failed: EnOSDeviceKeyIterator

    init(_ data: UnsafeRawBufferPointer) {
        var loginedRange: Range<Int>? = nil
        var failedRange: Range<Int>? = nil
        var reader = JSONReader(data)
        do throws(JSONError) {
            if data.count > 0, try reader.next().kind == .beginObject {
                while true {
                    let k = try reader.next()
                    if k.kind != .key { break }
                    let start = reader.offset
                    try reader.skipValue()
                    if reader.equals(k, "loginedSubDevices") { loginedRange = start..<reader.offset }
                    else if reader.equals(k, "failedSubDevices") { failedRange = start..<reader.offset }
                }
            }
        } catch {}
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        logined = EnOSDeviceKeyIterator(loginedRange.map { UnsafeRawBufferPointer(rebasing: data[$0]) } ?? empty)
        failed = EnOSDeviceKeyIterator(failedRange.map { UnsafeRawBufferPointer(rebasing: data[$0]) } ?? empty)
    }
}
