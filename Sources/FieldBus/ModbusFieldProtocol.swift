/// Modbus as a field protocol: every `ModbusTransport` (libmodbus' `ModbusConnection`, the tests'
/// fake bus) gets these as its `FieldProtocol` implementation. Moved here unchanged from the
/// scheduler when the scheduler became protocol-independent: the same transactions, in the same
/// order, into the same scheduler-owned buffers.
extension ModbusTransport where Self: ~Copyable {
    public static func plan(_ template: DeviceTemplate, selection: [Int]) throws(PlanError) -> ReadPlan {
        try RequestPlanner.plan(template, selection: selection)
    }

    public mutating func read(_ request: ReadRequest, of device: FieldAddress, scratch: FieldScratch) throws(ModbusError) {
        if request.table.holdsBits {
            try readBits(unit: device.unit, table: request.table, address: request.address,
                         count: request.count, into: scratch.bits)
        } else {
            try readRegisters(unit: device.unit, table: request.table, address: request.address,
                              count: request.count, into: scratch.registers)
        }
    }

    public func decode(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> PointValue {
        if request.table.holdsBits {
            return PointCodec.decode(point, bits: UnsafeBufferPointer(scratch.bits), at: Int(offset))
        }
        return PointCodec.decode(point, registers: UnsafeBufferPointer(scratch.registers), at: Int(offset))
    }

    /// The point's registers as received (a bit of the coil or discrete tables has none).
    public func rawWords(_ point: PointDefinition, at offset: UInt16, of request: ReadRequest, scratch: FieldScratch) -> RawWords {
        if request.table.holdsBits { return RawWords() }
        return RawWords(UnsafeBufferPointer(scratch.registers), at: Int(offset), count: Int(point.dataType.registerCount))
    }

    public mutating func write(_ command: WriteCommand, point: PointDefinition, of device: FieldAddress,
                               scratch: FieldScratch) -> FieldWriteResult {
        let unit = device.unit
        let registers = scratch.registers, bits = scratch.bits, verifyRegisters = scratch.verifyRegisters
        var outcome = WriteOutcome.ok
        var wireError: ModbusError? = nil
        var touchedWire = false
        if point.table == .coil {
            do throws(EncodeError) {
                let on = try PointCodec.encodeCoil(command.value, for: point)
                touchedWire = true
                do throws(ModbusError) {
                    try writeCoil(unit: unit, address: point.address, value: on)
                    if command.verify {
                        try readBits(unit: unit, table: .coil, address: point.address, count: 1, into: bits)
                        if (bits[0] != 0) != on { outcome = .verificationMismatch }
                    }
                } catch {
                    wireError = error
                    outcome = .failed(error)
                }
            } catch {
                outcome = .rejected(error)
            }
        } else if case .bitOfRegister = point.dataType {
            // Read-modify-write of one bit: the value is checked first (nothing is sent for a bad
            // one), then the register is read, the bit changed and the register written back
            // (function 6) within this one scheduler turn, so no poll of ours runs in between.
            do throws(EncodeError) {
                _ = try PointCodec.encodeBit(command.value, for: point, current: 0)
            } catch {
                outcome = .rejected(error)
            }
            if case .ok = outcome {
                touchedWire = true
                do throws(ModbusError) {
                    try readRegisters(unit: unit, table: .holdingRegister, address: point.address,
                                      count: 1, into: verifyRegisters)
                    let current = verifyRegisters[0]
                    registers[0] = (try? PointCodec.encodeBit(command.value, for: point, current: current)) ?? current
                    try writeRegister(unit: unit, address: point.address, value: registers[0])
                    if command.verify {
                        try readRegisters(unit: unit, table: .holdingRegister, address: point.address,
                                          count: 1, into: verifyRegisters)
                        if verifyRegisters[0] != registers[0] { outcome = .verificationMismatch }
                    }
                } catch {
                    wireError = error
                    outcome = .failed(error)
                }
            }
        } else {
            do throws(EncodeError) {
                let count = try PointCodec.encode(command.value, for: point, into: registers)
                touchedWire = true
                do throws(ModbusError) {
                    if count == 1 {
                        try writeRegister(unit: unit, address: point.address, value: registers[0])
                    } else {
                        try writeRegisters(unit: unit, address: point.address,
                                           values: UnsafeBufferPointer(rebasing: registers[0..<count]))
                    }
                    if command.verify {
                        try readRegisters(unit: unit, table: .holdingRegister, address: point.address,
                                          count: UInt16(count), into: verifyRegisters)
                        for i in 0..<count where verifyRegisters[i] != registers[i] { outcome = .verificationMismatch }
                    }
                } catch {
                    wireError = error
                    outcome = .failed(error)
                }
            } catch {
                outcome = .rejected(error)
            }
        }
        return FieldWriteResult(outcome: outcome, wireError: wireError, touchedWire: touchedWire)
    }

    public mutating func readRaw(_ request: RegisterReadRequest, template: DeviceTemplate, of device: FieldAddress,
                                 scratch: FieldScratch) -> FieldRawReadResult {
        let first = UInt32(request.address)
        let last = first + UInt32(request.count) - 1
        guard request.count > 0, request.count <= RegisterReadRequest.maximumCount,
              request.count <= template.limits.maxPerRead(request.table), last <= 65535 else {
            return FieldRawReadResult(outcome: .outOfLimits, touchedWire: false)
        }
        for range in template.forbidden where range.overlaps(table: request.table, lower: first, upper: last) {
            return FieldRawReadResult(outcome: .forbidden(range), touchedWire: false)
        }
        do throws(ModbusError) {
            var values = RegisterValues()
            if request.table.holdsBits {
                try readBits(unit: device.unit, table: request.table, address: request.address,
                             count: request.count, into: scratch.bits)
                for i in 0..<Int(request.count) { values.append(UInt16(scratch.bits[i])) }
            } else {
                try readRegisters(unit: device.unit, table: request.table, address: request.address,
                                  count: request.count, into: scratch.verifyRegisters)
                for i in 0..<Int(request.count) { values.append(scratch.verifyRegisters[i]) }
            }
            return FieldRawReadResult(outcome: .ok(values), touchedWire: true)
        } catch {
            return FieldRawReadResult(outcome: .failed(error), wireError: error, touchedWire: true)
        }
    }
}
