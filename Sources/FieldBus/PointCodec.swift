/// Pure conversion between a point's registers (or bits) and its typed value: decoding applies
/// byte/word order, then scale and offset; encoding applies the allowed-range check, the inverse
/// scale, a range check against the type and the order. Works on caller buffers, allocates nothing.
public enum PointCodec {
    /// The raw bits of a 1/2/4-register value: registers in wire order in, big-endian value out.
    @inlinable
    public static func assemble(_ registers: UnsafeBufferPointer<UInt16>, at start: Int, count: Int,
                                order: WordOrder) -> UInt64 {
        var raw: UInt64 = 0
        for i in 0..<count {
            var word = registers[start + (order.swapsWords ? count - 1 - i : i)]
            if order.swapsBytes { word = word.byteSwapped }
            raw = raw << 16 | UInt64(word)
        }
        return raw
    }

    /// The inverse of `assemble`: writes `count` registers of `raw` in wire order.
    @inlinable
    public static func disassemble(_ raw: UInt64, count: Int, order: WordOrder,
                                   into registers: UnsafeMutableBufferPointer<UInt16>, at start: Int) {
        for i in 0..<count {
            let shift = UInt64(16 * (count - 1 - i))
            var word = UInt16(truncatingIfNeeded: raw >> shift)
            if order.swapsBytes { word = word.byteSwapped }
            registers[start + (order.swapsWords ? count - 1 - i : i)] = word
        }
    }

    /// Decodes a register-table point whose first register is `registers[start]`. The caller
    /// guarantees `start + point.dataType.registerCount <= registers.count` (the planner does).
    public static func decode(_ point: PointDefinition, registers: UnsafeBufferPointer<UInt16>,
                              at start: Int) -> PointValue {
        let n = Int(point.dataType.registerCount)
        guard start >= 0, start + n <= registers.count else { return .double(.nan) }
        switch point.dataType {
        case .bool:
            return .bool(registers[start] != 0)
        case .bitOfRegister(let index):
            return .bool((registers[start] >> UInt16(index & 15)) & 1 == 1)
        case .string(let length):
            var text = ShortString()
            for i in 0..<n {
                var word = registers[start + i]
                if point.order.swapsBytes { word = word.byteSwapped }
                if 2 * i < Int(length) { text.append(UInt8(truncatingIfNeeded: word >> 8)) }
                if 2 * i + 1 < Int(length) { text.append(UInt8(truncatingIfNeeded: word)) }
            }
            text.trimPadding()
            return .string(text)
        case .int16:
            let raw = Int64(Int16(bitPattern: UInt16(truncatingIfNeeded: assemble(registers, at: start, count: 1, order: point.order))))
            return scaled(signed: raw, point)
        case .uint16:
            return scaled(unsigned: assemble(registers, at: start, count: 1, order: point.order), point)
        case .int32:
            let raw = Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: assemble(registers, at: start, count: 2, order: point.order))))
            return scaled(signed: raw, point)
        case .uint32:
            return scaled(unsigned: assemble(registers, at: start, count: 2, order: point.order), point)
        case .int64:
            return scaled(signed: Int64(bitPattern: assemble(registers, at: start, count: 4, order: point.order)), point)
        case .uint64:
            return scaled(unsigned: assemble(registers, at: start, count: 4, order: point.order), point)
        case .float32:
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: assemble(registers, at: start, count: 2, order: point.order)))
            return .double(Double(f) * point.scale + point.offset)
        case .float64:
            let d = Double(bitPattern: assemble(registers, at: start, count: 4, order: point.order))
            return .double(d * point.scale + point.offset)
        }
    }

    /// Decodes a bit-table point from libmodbus' one-byte-per-bit buffer.
    public static func decode(_ point: PointDefinition, bits: UnsafeBufferPointer<UInt8>, at index: Int) -> PointValue {
        guard index >= 0, index < bits.count else { return .bool(false) }
        let bit = bits[index] != 0
        if point.isUnscaled { return .bool(bit) }
        return .double((bit ? 1 : 0) * point.scale + point.offset)
    }

    @inlinable static func scaled(signed raw: Int64, _ point: PointDefinition) -> PointValue {
        point.isUnscaled ? .int(raw) : .double(Double(raw) * point.scale + point.offset)
    }

    @inlinable static func scaled(unsigned raw: UInt64, _ point: PointDefinition) -> PointValue {
        point.isUnscaled ? .uint(raw) : .double(Double(raw) * point.scale + point.offset)
    }

    /// Encodes `value` for a write to a holding-register point into `registers[0...]`, returning
    /// how many registers to write. Checks writability, the allowed range (on the engineering
    /// value), the inverse scale's fit in the type, and applies the order.
    public static func encode(_ value: PointValue, for point: PointDefinition,
                              into registers: UnsafeMutableBufferPointer<UInt16>) throws(EncodeError) -> Int {
        guard point.writable, point.table == .holdingRegister else { throw .notWritable }
        let n = Int(point.dataType.registerCount)
        guard registers.count >= n else { throw .bufferTooSmall }
        switch point.dataType {
        case .bitOfRegister:
            throw .readModifyWriteRequired
        case .string(let length):
            guard case .string(let text) = value else { throw .typeMismatch }
            guard text.count <= Int(length) else { throw .stringTooLong }
            for i in 0..<n {
                let hi: UInt8 = 2 * i < text.count ? text[2 * i] : 0
                let lo: UInt8 = 2 * i + 1 < text.count ? text[2 * i + 1] : 0
                var word = UInt16(hi) << 8 | UInt16(lo)
                if point.order.swapsBytes { word = word.byteSwapped }
                registers[i] = word
            }
            return n
        case .bool:
            let bit = try boolValue(value, point)
            registers[0] = bit ? 1 : 0
            return 1
        case .float32, .float64:
            let raw = try rawDouble(value, point)
            let bits: UInt64
            if point.dataType == .float32 {
                guard raw.isNaN || raw.isInfinite || abs(raw) <= Double(Float.greatestFiniteMagnitude) else {
                    throw .outOfTypeRange
                }
                bits = UInt64(Float(raw).bitPattern)
            } else {
                bits = raw.bitPattern
            }
            disassemble(bits, count: n, order: point.order, into: registers, at: 0)
            return n
        case .int16, .int32, .int64:
            let raw = try integerValue(value, point, signed: true)
            let bitsWide = 16 * n
            if bitsWide < 64 {
                let limit = Int64(1) << Int64(bitsWide - 1)
                guard raw.signed >= -limit, raw.signed < limit else { throw .outOfTypeRange }
            }
            disassemble(UInt64(bitPattern: raw.signed), count: n, order: point.order, into: registers, at: 0)
            return n
        case .uint16, .uint32, .uint64:
            let raw = try integerValue(value, point, signed: false)
            let bitsWide = 16 * n
            if bitsWide < 64 {
                guard raw.unsigned < UInt64(1) << UInt64(bitsWide) else { throw .outOfTypeRange }
            }
            disassemble(raw.unsigned, count: n, order: point.order, into: registers, at: 0)
            return n
        }
    }

    /// Checks a write of `value` to `point` as the bus worker will encode it (writable, type,
    /// allowed range, fit in the type) without a device: lets a caller refuse a bad write before
    /// it looks at anything else (the device being offline, the bus being busy).
    public static func checkWrite(_ value: PointValue, for point: PointDefinition) throws(EncodeError) {
        if point.table == .coil {
            _ = try encodeCoil(value, for: point)
            return
        }
        if case .bitOfRegister = point.dataType {
            _ = try encodeBit(value, for: point, current: 0)
            return
        }
        if case .string(let length) = point.dataType {
            guard point.writable, point.table == .holdingRegister else { throw .notWritable }
            guard case .string(let text) = value else { throw .typeMismatch }
            guard text.count <= Int(length) else { throw .stringTooLong }
            return
        }
        var failure: EncodeError? = nil
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 4) { registers in
            do throws(EncodeError) { _ = try encode(value, for: point, into: registers) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Encodes a write to a bit-of-register point as a read-modify-write: `current` is the
    /// holding register as just read from the device; the result is that register with the
    /// point's bit set or cleared and every other bit unchanged. The register is written whole
    /// (function 6), so the caller reads it immediately before, on the same bus thread.
    public static func encodeBit(_ value: PointValue, for point: PointDefinition,
                                 current: UInt16) throws(EncodeError) -> UInt16 {
        guard point.writable, point.table == .holdingRegister,
              case .bitOfRegister(let index) = point.dataType else { throw .notWritable }
        guard index < 16 else { throw .outOfTypeRange }
        let on = try boolValue(value, point)
        let mask = UInt16(1) << UInt16(index)
        return on ? current | mask : current & ~mask
    }

    /// Encodes a value for a coil write (bools, or 0/1 numbers).
    public static func encodeCoil(_ value: PointValue, for point: PointDefinition) throws(EncodeError) -> Bool {
        guard point.writable, point.table == .coil else { throw .notWritable }
        return try boolValue(value, point)
    }

    static func boolValue(_ value: PointValue, _ point: PointDefinition) throws(EncodeError) -> Bool {
        switch value {
        case .bool(let b):
            if let range = point.allowedRange, !range.contains(b ? 1 : 0) { throw .outOfAllowedRange }
            return b
        case .string: throw .typeMismatch
        default:
            guard let number = value.numeric else { throw .typeMismatch }
            if let range = point.allowedRange, !range.contains(number) { throw .outOfAllowedRange }
            guard number == 0 || number == 1 else { throw .outOfTypeRange }
            return number == 1
        }
    }

    /// The engineering value checked against the allowed range, then inversely scaled.
    static func rawDouble(_ value: PointValue, _ point: PointDefinition) throws(EncodeError) -> Double {
        guard case let number? = value.numeric else { throw .typeMismatch }
        if case .bool = value { throw .typeMismatch }
        guard !number.isNaN else { throw .notANumber }
        if let range = point.allowedRange, !range.contains(number) { throw .outOfAllowedRange }
        guard point.scale != 0 else { throw .outOfTypeRange }
        return (number - point.offset) / point.scale
    }

    /// Rounds half away from zero without libm (the host links no libm by default).
    static func roundedHalfAway(_ x: Double) -> Double {
        guard x.isFinite, x.magnitude < 4_503_599_627_370_496 else { return x }
        let whole = Double(Int64(x))
        let fraction = x - whole
        if fraction >= 0.5 { return whole + 1 }
        if fraction <= -0.5 { return whole - 1 }
        return whole
    }

    struct RawInteger {
        var signed: Int64
        var unsigned: UInt64
    }

    /// An integer raw value; exact integers pass without going through Double when unscaled.
    static func integerValue(_ value: PointValue, _ point: PointDefinition, signed: Bool) throws(EncodeError) -> RawInteger {
        if point.isUnscaled {
            switch value {
            case .int(let v):
                if let range = point.allowedRange, !range.contains(Double(v)) { throw .outOfAllowedRange }
                if signed { return RawInteger(signed: v, unsigned: 0) }
                guard v >= 0 else { throw .outOfTypeRange }
                return RawInteger(signed: 0, unsigned: UInt64(v))
            case .uint(let v):
                if let range = point.allowedRange, !range.contains(Double(v)) { throw .outOfAllowedRange }
                if !signed { return RawInteger(signed: 0, unsigned: v) }
                guard v <= UInt64(Int64.max) else { throw .outOfTypeRange }
                return RawInteger(signed: Int64(v), unsigned: 0)
            default: break
            }
        }
        let raw = roundedHalfAway(try rawDouble(value, point))
        guard raw.isFinite else { throw .outOfTypeRange }
        if signed {
            guard raw >= -9.223372036854775808e18, raw < 9.223372036854775808e18 else { throw .outOfTypeRange }
            return RawInteger(signed: Int64(raw), unsigned: 0)
        }
        guard raw >= 0, raw < 1.8446744073709551616e19 else { throw .outOfTypeRange }
        return RawInteger(signed: 0, unsigned: UInt64(raw))
    }
}
