import IEC104
import TLS

/// The connection of any configured bus, chosen by its `"protocol"`: one concrete type, so the
/// agent runs every bus through one specialisation of `BusWorker`/`BusScheduler` (no
/// existentials: Embedded Swift), each call a switch to the protocol's own implementation. Adding
/// a protocol adds a case here (see the FieldBus README).
public enum FieldConnection: ~Copyable, FieldProtocol {
    case modbus(ModbusConnection)
    case dlt645(DLT645Master)
    case iec104(IEC104Master)

    /// The connection for `bus`: libmodbus for Modbus RTU/TCP, a DL/T 645 master on a serial port.
    public init(bus: BusDefinition) throws(ModbusError) {
        switch bus.fieldProtocol {
        case .dlt645:
            guard case .serial(let serial) = bus.transport else { throw .invalidRequest }
            var master = DLT645Master(serial: serial, responseTimeoutMilliseconds: bus.responseTimeoutMilliseconds,
                                      byteTimeoutMilliseconds: bus.byteTimeoutMilliseconds)
            master.timeSyncIntervalNanoseconds = bus.timeSyncIntervalSeconds.map { UInt64($0) * 1_000_000_000 }
            self = .dlt645(master)
        case .iec104:
            guard case .tcp(let tcp) = bus.transport else { throw .invalidRequest }
            self = .iec104(IEC104Master(host: tcp.host, port: tcp.port, parameters: bus.iec104Link ?? IEC104LinkSettings(),
                                        responseTimeoutMilliseconds: bus.responseTimeoutMilliseconds,
                                        tls: bus.iec104TLS?.configuration))
        case .modbusRTU, .modbusTCP:
            self = .modbus(try ModbusConnection(bus: bus))
        }
    }

    /// Planned by the template's protocol (a DL/T 645 template only ever sits on a dlt645 bus).
    public static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan {
        if template.fieldProtocol == .dlt645 { return try DLT645Master.plan(template, selection: selection) }
        if template.fieldProtocol == .iec104 { return try IEC104Master.plan(template, selection: selection) }
        return try ModbusConnection.plan(template, selection: selection)
    }

    public mutating func read(_ request: ReadRequest, of device: FieldAddress, scratch: FieldScratch) throws(ModbusError) {
        var failure: ModbusError? = nil
        switch consume self {
        case .modbus(var c):
            do throws(ModbusError) { try c.read(request, of: device, scratch: scratch) } catch { failure = error }
            self = .modbus(c)
        case .dlt645(var c):
            do throws(ModbusError) { try c.read(request, of: device, scratch: scratch) } catch { failure = error }
            self = .dlt645(c)
        case .iec104(var c):
            do throws(ModbusError) { try c.read(request, of: device, scratch: scratch) } catch { failure = error }
            self = .iec104(c)
        }
        if let failure { throw failure }
    }

    public func decode(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> PointValue {
        switch self {
        case .modbus(let c): return c.decode(point, at: offset, of: request, scratch: scratch)
        case .dlt645(let c): return c.decode(point, at: offset, of: request, scratch: scratch)
        case .iec104(let c): return c.decode(point, at: offset, of: request, scratch: scratch)
        }
    }

    public func rawWords(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> RawWords {
        switch self {
        case .modbus(let c): return c.rawWords(point, at: offset, of: request, scratch: scratch)
        case .dlt645(let c): return c.rawWords(point, at: offset, of: request, scratch: scratch)
        case .iec104(let c): return c.rawWords(point, at: offset, of: request, scratch: scratch)
        }
    }

    public func failureDetail(_ error: ModbusError, of request: ReadRequest, device: FieldAddress) -> FieldFailureDetail? {
        switch self {
        case .dlt645(let c): return c.failureDetail(error, of: request, device: device)
        case .iec104(let c): return c.failureDetail(error, of: request, device: device)
        default: return nil
        }
    }

    public mutating func write(_ command: WriteCommand, point: PointDefinition, of device: FieldAddress,
                               scratch: FieldScratch) -> FieldWriteResult {
        let result: FieldWriteResult
        switch consume self {
        case .modbus(var c):
            result = c.write(command, point: point, of: device, scratch: scratch)
            self = .modbus(c)
        case .dlt645(var c):
            result = c.write(command, point: point, of: device, scratch: scratch)
            self = .dlt645(c)
        case .iec104(var c):
            result = c.write(command, point: point, of: device, scratch: scratch)
            self = .iec104(c)
        }
        return result
    }

    public mutating func readRaw(_ request: RegisterReadRequest, template: DeviceTemplate, of device: FieldAddress,
                                 scratch: FieldScratch) -> FieldRawReadResult {
        let result: FieldRawReadResult
        switch consume self {
        case .modbus(var c):
            result = c.readRaw(request, template: template, of: device, scratch: scratch)
            self = .modbus(c)
        case .dlt645(var c):
            result = c.readRaw(request, template: template, of: device, scratch: scratch)
            self = .dlt645(c)
        case .iec104(var c):
            result = c.readRaw(request, template: template, of: device, scratch: scratch)
            self = .iec104(c)
        }
        return result
    }

    /// Only IEC 104 has points of its own to attach (its table by common and object address).
    public mutating func attach(device: Int, address: FieldAddress, template: DeviceTemplate) {
        switch consume self {
        case .modbus(let c): self = .modbus(c)
        case .dlt645(let c): self = .dlt645(c)
        case .iec104(var c):
            c.attach(device: device, address: address, template: template)
            self = .iec104(c)
        }
    }

    public var protocolStatistics: ProtocolStatistics? {
        switch self {
        case .iec104(let c): return c.protocolStatistics
        default: return nil
        }
    }

    public mutating func deliverReceived<Sink: BusEventSink>(into sink: inout Sink) {
        switch self {
        case .iec104(let c): c.deliverReceived(into: &sink)
        default: break
        }
    }
}
