import EdgeCore
import EnOS
import FieldBus
import Configuration

extension EnOSEventSink {
    /// Turns a `thing.service.{id}` call into the writes its configured service makes (the
    /// device's services, `ServiceCatalog`): an identifier the device does not offer is refused
    /// with 1101 (as the SDKs answer a service without a handler); a missing input parameter
    /// (2013), one of the wrong type (2004) or a value a point refuses (2003/2004/2005) refuses
    /// the whole call with a message naming the parameter, before anything is written. Input
    /// parameters the service does not declare are ignored. Allocates nothing: the messages were
    /// made at load.
    func decodeService(_ command: EnOSCommand, template: DeviceTemplate, into request: inout ControlRequest) {
        let offered = services.offered(by: request.device)
        var found = -1
        for i in offered.indices where Self.same(command.serviceId, services.services[offered[i]].identifier) {
            found = offered[i]
            break
        }
        guard found >= 0 else {
            request.error = .unknownService
            return
        }
        let service = services.services[found]
        request.service = Int32(found)
        var values = InlineArray<16, PointValue>(repeating: .bool(false))
        for k in service.inputs.indices {
            var given: EnOSReceivedValue? = nil
            for parameter in command.parameters() where parameter.name.equals(service.inputs[k].identifier) {
                given = parameter.value
                break
            }
            guard let given else {
                request.error = .missingParameter
                request.detail = service.inputs[k].missingMessage
                return
            }
            guard let value = Self.inputValue(given, as: service.inputs[k].type) else {
                request.error = .badValue
                request.detail = service.inputs[k].wrongTypeMessage
                return
            }
            values[k] = value
        }
        for i in service.actions.indices {
            let action = service.actions[i]
            let value: PointValue
            switch action.value {
            case .input(let k): value = values[k]
            case .constant(let c): value = c
            }
            do throws(EncodeError) {
                try PointCodec.checkWrite(value, for: template.points[action.point])
            } catch {
                request.error = ControlError(refusal: error)
                if !action.refusedMessage.isEmpty { request.detail = action.refusedMessage }
                request.count = 0
                return
            }
            _ = request.append(point: action.point, value: value)
            if action.readBack { request.verifyMask |= UInt16(1) << UInt16(i) }
        }
    }

    /// An input parameter's value as its declared type writes it, or nil for the wrong type.
    static func inputValue(_ given: EnOSReceivedValue, as type: ServiceParameterType) -> PointValue? {
        switch (type, given) {
        case (.integer, .integer(let n)): return .int(n)
        case (.integer, .number(let d)):
            guard d.isFinite, d == d.rounded(.towardZero), abs(d) < 9.0e18 else { return nil }
            return .int(Int64(d))
        case (.number, .integer(let n)): return .double(Double(n))
        case (.number, .number(let d)): return d.isFinite ? .double(d) : nil
        case (.bool, .bool(let b)): return .bool(b)
        case (.bool, .integer(let n)) where n == 0 || n == 1: return .bool(n == 1)
        case (.string, .text): return pointValue(given)
        default: return nil
        }
    }

    /// True when the topic's service id is `identifier` (byte for byte).
    static func same(_ bytes: UnsafeRawBufferPointer, _ identifier: String) -> Bool {
        var i = 0
        for b in identifier.utf8 {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
        }
        return i == bytes.count
    }
}
