import EdgeCore

/// A decoded cloud command (spec §6, §7, §4.7), referencing the received message in place: valid
/// only while that buffer is (for `EnOSGateway`, during the event callback). Its parameters were
/// validated when it was decoded, so the accessors below cannot fail. Keep `replyHandle` to reply
/// later.
public struct EnOSCommand {
    public let kind: EnOSCommandKind
    public let device: EnOSDeviceReference
    /// The command's id (a string in the envelope).
    public let id: EnOSText
    /// For `.service`: the service id from the topic (empty otherwise).
    public let serviceId: UnsafeRawBufferPointer
    public let payload: UnsafeRawBufferPointer
    /// The raw bytes of `params` (empty if absent).
    public let params: UnsafeRawBufferPointer
    /// What `EnOSGateway.reply` needs, copied out of the buffer.
    public let replyHandle: EnOSReplyHandle

    /// `.measurepointSet` and `.service`: the (name, value) pairs of `params`.
    public func parameters() -> EnOSParameterIterator { EnOSParameterIterator(params) }

    /// `.measurepointGet`: the requested point ids.
    public func pointIds() -> EnOSTextIterator { EnOSTextIterator(params) }

    /// `.subDevicesEnabled/Disabled/Deleted`: the sub-devices named.
    public func subDeviceKeys() -> EnOSDeviceKeyIterator { EnOSDeviceKeyIterator(params) }

    /// `.otaUpgrade`: the firmware offered (nil for other kinds).
    public func upgrade() -> EnOSOTAUpgrade? {
        guard kind == .otaUpgrade else { return nil }
        return try? EnOSOTAUpgrade.decode(params)
    }
}

/// An `ota.device.upgrade` push (spec §7.2): the firmware's version, its digest (`sign`, hex) and
/// the digest algorithm (`signMethod`, e.g. `md5`, `sha256`), where to fetch it and its size.
public struct EnOSOTAUpgrade {
    public var version: EnOSText
    public var sign: EnOSText
    public var signMethod: EnOSText
    public var fileUrl: EnOSText
    public var fileSize: Int64

    /// Decodes `params`; all five fields are required.
    public static func decode(_ params: UnsafeRawBufferPointer) throws(EnOSMessageError) -> EnOSOTAUpgrade {
        var reader = JSONReader(params)
        var version: JSONToken? = nil, sign: JSONToken? = nil, method: JSONToken? = nil, url: JSONToken? = nil
        var size: Int64? = nil
        var problem: EnOSMessageError? = nil
        do throws(JSONError) {
            if try reader.next().kind != .beginObject {
                problem = EnOSMessageError(.wrongType(.params, expected: .object))
            }
            fields: while problem == nil {
                let k = try reader.next()
                if k.kind == .endObject { break }
                let field: EnOSField
                if reader.equals(k, "version") { field = .version }
                else if reader.equals(k, "sign") { field = .sign }
                else if reader.equals(k, "signMethod") { field = .signMethod }
                else if reader.equals(k, "fileUrl") { field = .fileUrl }
                else if reader.equals(k, "fileSize") { field = .fileSize }
                else { try reader.skipValue(); continue }
                let v = try reader.next()
                if field == .fileSize {
                    guard v.kind == .number, v.isInteger, let n = try? reader.int64(v), n >= 0 else {
                        problem = EnOSMessageError(.wrongType(.fileSize, expected: .nonNegativeInteger))
                        break fields
                    }
                    size = n
                    continue
                }
                guard v.kind == .string else {
                    problem = EnOSMessageError(.wrongType(field, expected: .string))
                    break fields
                }
                switch field {
                case .version: version = v
                case .sign: sign = v
                case .signMethod: method = v
                default: url = v
                }
            }
        } catch {
            throw EnOSMessageError(.malformedJSON(error))
        }
        if let problem { throw problem }
        guard let version else { throw EnOSMessageError(.missing(.version)) }
        guard let sign else { throw EnOSMessageError(.missing(.sign)) }
        guard let method else { throw EnOSMessageError(.missing(.signMethod)) }
        guard let url else { throw EnOSMessageError(.missing(.fileUrl)) }
        guard let size else { throw EnOSMessageError(.missing(.fileSize)) }
        return EnOSOTAUpgrade(version: EnOSText(input: params, token: version), sign: EnOSText(input: params, token: sign),
                              signMethod: EnOSText(input: params, token: method), fileUrl: EnOSText(input: params, token: url),
                              fileSize: size)
    }
}

/// One named parameter of a command.
public struct EnOSParameter {
    public var name: EnOSText
    public var value: EnOSReceivedValue
}

/// The (name, value) pairs of an object, in order. Stops (nil) at the end or on malformed input
/// (which a validated command does not have).
public struct EnOSParameterIterator: IteratorProtocol, Sequence {
    var reader: JSONReader
    var started = false
    var done = false

    init(_ object: UnsafeRawBufferPointer) { reader = JSONReader(object) }

    public mutating func next() -> EnOSParameter? {
        guard !done else { return nil }
        do throws(JSONError) {
            if !started {
                started = true
                guard try reader.next().kind == .beginObject else { done = true; return nil }
            }
            let k = try reader.next()
            guard k.kind == .key else { done = true; return nil }
            let v = try reader.next()
            let value: EnOSReceivedValue
            switch v.kind {
            case .bool: value = .bool(v.boolValue)
            case .null: value = .null
            case .string: value = .text(EnOSText(input: reader.input, token: v))
            case .number:
                if v.isInteger, let n = try? reader.int64(v) { value = .integer(n) }
                else { value = .number(try reader.double(v)) }
            case .beginObject, .beginArray:
                let start = v.range.lowerBound
                try reader.skipOpen()
                value = .structured(UnsafeRawBufferPointer(rebasing: reader.input[start..<reader.offset]))
            default:
                done = true
                return nil
            }
            return EnOSParameter(name: EnOSText(input: reader.input, token: k), value: value)
        } catch {
            done = true
            return nil
        }
    }

    /// Walks the whole object: nil if every value is readable, else the problem.
    static func validate(_ object: UnsafeRawBufferPointer) -> EnOSMessageError? {
        var reader = JSONReader(object)
        do throws(JSONError) {
            guard try reader.next().kind == .beginObject else { return EnOSMessageError(.wrongType(.params, expected: .object)) }
            while true {
                let k = try reader.next()
                if k.kind == .endObject { return nil }
                let v = try reader.next()
                if v.kind == .number {
                    if !(v.isInteger && (try? reader.int64(v)) != nil) {
                        guard (try? reader.double(v)) != nil else { return EnOSMessageError(.wrongType(.value, expected: .number)) }
                    }
                } else if v.kind == .beginObject || v.kind == .beginArray {
                    try reader.skipOpen()
                }
            }
        } catch {
            return EnOSMessageError(.malformedJSON(error))
        }
    }
}

/// The strings of an array, in order.
public struct EnOSTextIterator: IteratorProtocol, Sequence {
    var reader: JSONReader
    var started = false
    var done = false

    init(_ array: UnsafeRawBufferPointer) { reader = JSONReader(array) }

    public mutating func next() -> EnOSText? {
        guard !done else { return nil }
        do throws(JSONError) {
            if !started {
                started = true
                guard try reader.next().kind == .beginArray else { done = true; return nil }
            }
            let v = try reader.next()
            guard v.kind == .string else { done = true; return nil }
            return EnOSText(input: reader.input, token: v)
        } catch {
            done = true
            return nil
        }
    }

    static func validate(_ array: UnsafeRawBufferPointer) -> EnOSMessageError? {
        var reader = JSONReader(array)
        do throws(JSONError) {
            guard try reader.next().kind == .beginArray else { return EnOSMessageError(.wrongType(.params, expected: .arrayOfStrings)) }
            while true {
                let v = try reader.next()
                if v.kind == .endArray { return nil }
                guard v.kind == .string else { return EnOSMessageError(.wrongType(.pointId, expected: .string)) }
            }
        } catch {
            return EnOSMessageError(.malformedJSON(error))
        }
    }
}

/// The `{"productKey","deviceKey"}` entries of an array (combine notifications, login results).
public struct EnOSDeviceKeyIterator: IteratorProtocol, Sequence {
    var reader: JSONReader
    var started = false
    var done = false

    init(_ array: UnsafeRawBufferPointer) { reader = JSONReader(array) }

    public mutating func next() -> (productKey: EnOSText, deviceKey: EnOSText)? {
        guard !done else { return nil }
        do throws(JSONError) {
            if !started {
                started = true
                guard try reader.next().kind == .beginArray else { done = true; return nil }
            }
            guard try reader.next().kind == .beginObject else { done = true; return nil }
            var pk: JSONToken? = nil, dk: JSONToken? = nil
            while true {
                let k = try reader.next()
                if k.kind == .endObject { break }
                let v = try reader.next()
                if v.kind == .beginObject || v.kind == .beginArray { try reader.skipOpen(); continue }
                if v.kind == .string && reader.equals(k, "productKey") { pk = v }
                if v.kind == .string && reader.equals(k, "deviceKey") { dk = v }
            }
            guard let pk, let dk else { done = true; return nil }
            return (EnOSText(input: reader.input, token: pk), EnOSText(input: reader.input, token: dk))
        } catch {
            done = true
            return nil
        }
    }

    static func validate(_ array: UnsafeRawBufferPointer, field: EnOSField) -> EnOSMessageError? {
        var reader = JSONReader(array)
        do throws(JSONError) {
            guard try reader.next().kind == .beginArray else { return EnOSMessageError(.wrongType(field, expected: .array)) }
            while true {
                let o = try reader.next()
                if o.kind == .endArray { return nil }
                guard o.kind == .beginObject else { return EnOSMessageError(.wrongType(field, expected: .object)) }
                var pk = false, dk = false
                while true {
                    let k = try reader.next()
                    if k.kind == .endObject { break }
                    let v = try reader.next()
                    if v.kind == .beginObject || v.kind == .beginArray { try reader.skipOpen() }
                    if reader.equals(k, "productKey") {
                        guard v.kind == .string else { return EnOSMessageError(.wrongType(.productKey, expected: .string)) }
                        pk = true
                    } else if reader.equals(k, "deviceKey") {
                        guard v.kind == .string else { return EnOSMessageError(.wrongType(.deviceKey, expected: .string)) }
                        dk = true
                    }
                }
                if !pk { return EnOSMessageError(.missing(.productKey)) }
                if !dk { return EnOSMessageError(.missing(.deviceKey)) }
            }
        } catch {
            return EnOSMessageError(.malformedJSON(error))
        }
    }
}
