import CModbus
import CShim

/// Owns one libmodbus context (`modbus_t*`) for a serial (RTU) or TCP bus: opens it lazily,
/// sets timeouts and RS-485 direction control, reopens it after a port or socket failure, and
/// frees it on `deinit`. All transactions go into caller buffers and allocate nothing.
public struct ModbusConnection: ~Copyable, ModbusTransport {
    let context: OpaquePointer
    let isSerial: Bool
    let rs485: RS485Mode
    var connected = false

    /// A serial (RTU) connection; the port is opened on the first transaction or `connect()`.
    public init(serial: SerialSettings, responseTimeoutMilliseconds: UInt32,
                byteTimeoutMilliseconds: UInt32) throws(ModbusError) {
        let created: OpaquePointer? = serial.path.withCString { path in
            modbus_new_rtu(path, Int32(bitPattern: serial.baud), serial.parity.character,
                           Int32(serial.dataBits), Int32(serial.stopBits))
        }
        guard let context = created else { throw .system(edge_errno()) }
        self.context = context
        self.isSerial = true
        self.rs485 = serial.rs485
        setTimeouts(response: responseTimeoutMilliseconds, byte: byteTimeoutMilliseconds)
    }

    /// A TCP connection to `host:port` (a name or address); connected on first use.
    public init(tcp: TCPSettings, responseTimeoutMilliseconds: UInt32,
                byteTimeoutMilliseconds: UInt32) throws(ModbusError) {
        let port = "\(tcp.port)"
        let created: OpaquePointer? = tcp.host.withCString { host in
            port.withCString { service in modbus_new_tcp_pi(host, service) }
        }
        guard let context = created else { throw .system(edge_errno()) }
        self.context = context
        self.isSerial = false
        self.rs485 = .none
        setTimeouts(response: responseTimeoutMilliseconds, byte: byteTimeoutMilliseconds)
    }

    /// The connection a bus definition describes.
    public init(bus: BusDefinition) throws(ModbusError) {
        switch bus.transport {
        case .serial(let s):
            try self.init(serial: s, responseTimeoutMilliseconds: bus.responseTimeoutMilliseconds,
                          byteTimeoutMilliseconds: bus.byteTimeoutMilliseconds)
        case .tcp(let t):
            try self.init(tcp: t, responseTimeoutMilliseconds: bus.responseTimeoutMilliseconds,
                          byteTimeoutMilliseconds: bus.byteTimeoutMilliseconds)
        }
    }

    deinit {
        if connected { modbus_close(context) }
        modbus_free(context)
    }

    /// Closes the port now (and frees the context).
    public consuming func close() {}

    func setTimeouts(response: UInt32, byte: UInt32) {
        _ = modbus_set_response_timeout(context, response / 1000, (response % 1000) * 1000)
        _ = modbus_set_byte_timeout(context, byte / 1000, (byte % 1000) * 1000)
    }

    /// Opens the port (or connects the socket) if it is not open, and applies RS-485 settings.
    public mutating func connect() throws(ModbusError) {
        if connected { return }
        if isSerial {
            switch rs485 {
            case .none:
                break
            case .libmodbusRTS(let up, let delay):
                // libmodbus toggles RTS itself around each request.
                _ = modbus_rtu_set_rts(context, up ? 1 : 2) // MODBUS_RTU_RTS_UP / _DOWN
                _ = modbus_rtu_set_rts_delay(context, Int32(bitPattern: delay))
            case .kernel:
                break
            }
        }
        guard modbus_connect(context) == 0 else { throw .system(edge_errno()) }
        connected = true
        if isSerial {
            switch rs485 {
            case .libmodbusRTS:
                // RTS handling in libmodbus needs serial mode RS485 only when the kernel supports
                // it; RTS toggling itself works in RS-232 mode, so failures here are not fatal.
                _ = modbus_rtu_set_serial_mode(context, 1)
            case .kernel(let rtsOnSend, let before, let after):
                let fd = modbus_get_socket(context)
                if edge_rs485_configure(fd, 1, rtsOnSend ? 1 : 0, rtsOnSend ? 0 : 1, before, after) != 0 {
                    let e = edge_errno()
                    modbus_close(context)
                    connected = false
                    throw .system(e)
                }
            case .none:
                break
            }
        }
    }

    /// Runs one libmodbus call for `unit`, turning -1 into a typed error; reopens the connection
    /// on the next call after a system error and flushes stale bytes after a bad reply.
    @inline(__always)
    mutating func transact(unit: UInt8, _ call: (OpaquePointer) -> Int32) throws(ModbusError) {
        try connect()
        _ = modbus_set_slave(context, Int32(unit))
        let rc = call(context)
        if rc >= 0 { return }
        let error = ModbusError(errno: edge_errno())
        switch error {
        case .system:
            modbus_close(context)
            connected = false
        case .crcError, .invalidResponse, .timeout:
            _ = modbus_flush(context)
        default:
            break
        }
        throw error
    }

    public mutating func readRegisters(unit: UInt8, table: RegisterTable, address: UInt16, count: UInt16,
                                       into registers: UnsafeMutableBufferPointer<UInt16>) throws(ModbusError) {
        guard !table.holdsBits, Int(count) <= registers.count, count <= 125, let base = registers.baseAddress else {
            throw .invalidRequest
        }
        try transact(unit: unit) { ctx in
            table == .holdingRegister
                ? modbus_read_registers(ctx, Int32(address), Int32(count), base)
                : modbus_read_input_registers(ctx, Int32(address), Int32(count), base)
        }
    }

    public mutating func readBits(unit: UInt8, table: RegisterTable, address: UInt16, count: UInt16,
                                  into bits: UnsafeMutableBufferPointer<UInt8>) throws(ModbusError) {
        guard table.holdsBits, Int(count) <= bits.count, count <= 2000, let base = bits.baseAddress else {
            throw .invalidRequest
        }
        try transact(unit: unit) { ctx in
            table == .coil
                ? modbus_read_bits(ctx, Int32(address), Int32(count), base)
                : modbus_read_input_bits(ctx, Int32(address), Int32(count), base)
        }
    }

    public mutating func writeRegister(unit: UInt8, address: UInt16, value: UInt16) throws(ModbusError) {
        try transact(unit: unit) { ctx in modbus_write_register(ctx, Int32(address), value) }
    }

    public mutating func writeRegisters(unit: UInt8, address: UInt16, values: UnsafeBufferPointer<UInt16>) throws(ModbusError) {
        guard values.count > 0, values.count <= 123, let base = values.baseAddress else { throw .invalidRequest }
        try transact(unit: unit) { ctx in modbus_write_registers(ctx, Int32(address), Int32(values.count), base) }
    }

    public mutating func writeCoil(unit: UInt8, address: UInt16, value: Bool) throws(ModbusError) {
        try transact(unit: unit) { ctx in modbus_write_bit(ctx, Int32(address), value ? 1 : 0) }
    }

    public mutating func writeCoils(unit: UInt8, address: UInt16, values: UnsafeBufferPointer<UInt8>) throws(ModbusError) {
        guard values.count > 0, values.count <= 1968, let base = values.baseAddress else { throw .invalidRequest }
        try transact(unit: unit) { ctx in modbus_write_bits(ctx, Int32(address), Int32(values.count), base) }
    }
}
