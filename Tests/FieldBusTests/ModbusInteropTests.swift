import CShim
import EdgeCore
import FieldBus
import Foundation
import Testing

/// ModbusConnection (libmodbus) against pymodbus, an independent implementation, over RTU (socat
/// pty pair) and TCP (loopback): data types and orders as pymodbus encodes them, all four tables,
/// several units, exception replies, a dead unit, a flaky unit, and writes.
@Suite struct ModbusInteropTests {
    static func connect(_ slave: ModbusSlaveProcess, timeout: UInt32 = 300) throws -> ModbusConnection {
        switch slave.link {
        case .rtu:
            return try ModbusConnection(serial: SerialSettings(path: slave.devicePath, baud: 115200),
                                        responseTimeoutMilliseconds: timeout, byteTimeoutMilliseconds: 50)
        case .tcp:
            return try ModbusConnection(tcp: TCPSettings(host: "127.0.0.1", port: slave.port),
                                        responseTimeoutMilliseconds: timeout, byteTimeoutMilliseconds: 50)
        }
    }

    static func read(_ c: inout ModbusConnection, unit: UInt8, _ address: UInt16, _ count: UInt16,
                     table: RegisterTable = .holdingRegister) -> Result<[UInt16], ModbusError> {
        var regs = [UInt16](repeating: 0, count: 125)
        var failure: ModbusError?
        regs.withUnsafeMutableBufferPointer { buffer in
            do throws(ModbusError) {
                try c.readRegisters(unit: unit, table: table, address: address, count: count, into: buffer)
            } catch { failure = error }
        }
        if let failure { return .failure(failure) }
        return .success(Array(regs[0..<Int(count)]))
    }

    static func readBits(_ c: inout ModbusConnection, unit: UInt8, _ table: RegisterTable,
                         _ address: UInt16, _ count: UInt16) -> Result<[UInt8], ModbusError> {
        var bits = [UInt8](repeating: 9, count: 2000)
        var failure: ModbusError?
        bits.withUnsafeMutableBufferPointer { buffer in
            do throws(ModbusError) {
                try c.readBits(unit: unit, table: table, address: address, count: count, into: buffer)
            } catch { failure = error }
        }
        if let failure { return .failure(failure) }
        return .success(Array(bits[0..<Int(count)]))
    }

    @Test(arguments: ModbusSlaveProcess.Link.allCases)
    func decodesEveryTypeAndOrderAsPymodbusEncodesThem(link: ModbusSlaveProcess.Link) throws {
        let slave = try ModbusSlaveProcess(link)
        defer { slave.stop() }
        var c = try Self.connect(slave)
        for (k, order) in WordOrder.allCases.enumerated() {
            let base = UInt16(1000 + 100 * k)
            let regs = try Self.read(&c, unit: 2, base, 25).get()
            func value(_ offset: UInt16, _ type: PointDataType) -> PointValue {
                let p = PointDefinition(identifier: "x", table: .holdingRegister, address: base + offset, dataType: type, order: order)
                return regs.withUnsafeBufferPointer { PointCodec.decode(p, registers: $0, at: Int(offset)) }
            }
            #expect(value(0, .int16) == .int(-1234), "\(order.name)")
            #expect(value(1, .uint16) == .uint(54321), "\(order.name)")
            #expect(value(2, .int32) == .int(-123_456_789), "\(order.name)")
            #expect(value(4, .uint32) == .uint(3_456_789_012), "\(order.name)")
            #expect(value(6, .int64) == .int(-1_234_567_890_123_456_789), "\(order.name)")
            #expect(value(10, .uint64) == .uint(12_345_678_901_234_567_890), "\(order.name)")
            #expect(value(14, .float32) == .double(3.25), "\(order.name)")
            #expect(value(16, .float64) == .double(-98765.4321), "\(order.name)")
            if order == .abcd { #expect(value(20, .string(length: 10)) == .string(ShortString("EDGE-42"))) }
        }
    }

    @Test(arguments: ModbusSlaveProcess.Link.allCases)
    func readsAllFourTablesOfSeveralUnits(link: ModbusSlaveProcess.Link) throws {
        let slave = try ModbusSlaveProcess(link)
        defer { slave.stop() }
        var c = try Self.connect(slave)
        for unit: UInt8 in [1, 2, 3] {
            let u = UInt16(unit)
            #expect(try Self.read(&c, unit: unit, 0, 125).get() == (0..<125).map { u * 1000 + $0 })
            #expect(try Self.read(&c, unit: unit, 10, 5, table: .inputRegister).get() == (10..<15).map { (u * 100 + $0) ^ 0x5555 })
            #expect(try Self.readBits(&c, unit: unit, .coil, 0, 2000).get() == (0..<2000).map { $0 % 3 == 0 ? 1 : 0 })
            #expect(try Self.readBits(&c, unit: unit, .discreteInput, 7, 9).get() == (7..<16).map { $0 % 2 == 1 ? 1 : 0 })
        }
    }

    @Test(arguments: ModbusSlaveProcess.Link.allCases)
    func exceptionsDeadUnitsAndFlakyUnitsGiveTypedErrors(link: ModbusSlaveProcess.Link) throws {
        let slave = try ModbusSlaveProcess(link)
        defer { slave.stop() }
        var c = try Self.connect(slave)
        #expect(Self.read(&c, unit: 1, 2001, 2) == .failure(.exception(2)))
        #expect(Self.read(&c, unit: 1, 1999, 2) == .failure(.exception(2)))
        #expect(Self.read(&c, unit: 4, 0, 1) == .failure(.timeout))
        #expect(Self.read(&c, unit: 1, 0, 1) == .success([1000]))   // the bus survives both
        var outcomes: [String] = []
        for _ in 0..<6 {
            switch Self.read(&c, unit: 7, 3, 1) {
            case .success(let r): outcomes.append(r == [7003] ? "ok" : "wrong \(r)")
            case .failure(let e): outcomes.append(e.description)
            }
        }
        let expected = link == .rtu ? ["ok", "timeout", "CRC error", "ok", "timeout", "CRC error"]
                                    : ["ok", "timeout", "ok", "ok", "timeout", "ok"]
        #expect(outcomes == expected)
        #expect(Self.read(&c, unit: 2, 0, 2) == .success([2000, 2001]))
    }

    @Test(arguments: ModbusSlaveProcess.Link.allCases)
    func writesSingleAndMultipleRegistersAndCoils(link: ModbusSlaveProcess.Link) throws {
        let slave = try ModbusSlaveProcess(link)
        defer { slave.stop() }
        var c = try Self.connect(slave)
        try c.writeRegister(unit: 3, address: 10, value: 0xBEEF)
        let values: [UInt16] = [1, 2, 3, 0xFFFF]
        var failure: ModbusError?
        values.withUnsafeBufferPointer { b in
            do throws(ModbusError) { try c.writeRegisters(unit: 3, address: 20, values: b) } catch { failure = error }
        }
        #expect(failure == nil)
        try c.writeCoil(unit: 3, address: 1, value: true)
        let coils: [UInt8] = [1, 1, 0, 1, 0]
        coils.withUnsafeBufferPointer { b in
            do throws(ModbusError) { try c.writeCoils(unit: 3, address: 100, values: b) } catch { failure = error }
        }
        #expect(failure == nil)
        #expect(try Self.read(&c, unit: 3, 10, 1).get() == [0xBEEF])
        #expect(try Self.read(&c, unit: 3, 19, 6).get() == [3019, 1, 2, 3, 0xFFFF, 3024])
        #expect(try Self.readBits(&c, unit: 3, .coil, 0, 3).get() == [1, 1, 0])
        #expect(try Self.readBits(&c, unit: 3, .coil, 99, 7).get() == [1, 1, 1, 0, 1, 0, 1])
        // A write to a register that does not exist is refused with exception 2.
        #expect(throws: ModbusError.exception(2)) { try c.writeRegister(unit: 3, address: 5000, value: 1) }
        // Other units are untouched.
        #expect(try Self.read(&c, unit: 2, 10, 1).get() == [2010])
    }
}
