/// What Modbus needs from a bus: blocking Modbus transactions into and out of caller buffers.
/// `ModbusConnection` implements it over libmodbus; tests use a fake bus. Implementations are used
/// by one thread at a time (the bus's scheduler) and must not allocate per call. Every transport
/// is a `FieldProtocol` through `ModbusFieldProtocol.swift`.
public protocol ModbusTransport: FieldProtocol, ~Copyable {
    /// Reads `count` registers from an input- or holding-register table into `registers[0..<count]`.
    mutating func readRegisters(unit: UInt8, table: RegisterTable, address: UInt16, count: UInt16,
                                into registers: UnsafeMutableBufferPointer<UInt16>) throws(ModbusError)
    /// Reads `count` bits from the coil or discrete-input table, one byte (0/1) per bit.
    mutating func readBits(unit: UInt8, table: RegisterTable, address: UInt16, count: UInt16,
                           into bits: UnsafeMutableBufferPointer<UInt8>) throws(ModbusError)
    /// Writes one holding register (function 6).
    mutating func writeRegister(unit: UInt8, address: UInt16, value: UInt16) throws(ModbusError)
    /// Writes consecutive holding registers (function 16).
    mutating func writeRegisters(unit: UInt8, address: UInt16, values: UnsafeBufferPointer<UInt16>) throws(ModbusError)
    /// Writes one coil (function 5).
    mutating func writeCoil(unit: UInt8, address: UInt16, value: Bool) throws(ModbusError)
    /// Writes consecutive coils (function 15), one byte (0/1) per coil.
    mutating func writeCoils(unit: UInt8, address: UInt16, values: UnsafeBufferPointer<UInt8>) throws(ModbusError)
}
