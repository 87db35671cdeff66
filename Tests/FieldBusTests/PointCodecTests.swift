import FieldBus
import Testing

/// Decoding and encoding of every data type in every byte/word order, checked against values
/// laid out by hand from their big-endian bytes.
@Suite struct PointCodecTests {
    /// Registers for a big-endian byte string in the given order (an independent layout).
    static func layout(_ bytes: [UInt8], _ order: WordOrder) -> [UInt16] {
        var words: [UInt16] = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        if order == .cdab || order == .dcba { words.reverse() }
        if order == .badc || order == .dcba { words = words.map { ($0 << 8) | ($0 >> 8) } }
        return words
    }

    static func point(_ type: PointDataType, _ order: WordOrder = .abcd, scale: Double = 1, offset: Double = 0,
                      writable: Bool = true, range: ClosedRange<Double>? = nil) -> PointDefinition {
        PointDefinition(identifier: "p", table: .holdingRegister, address: 0, dataType: type, order: order,
                        scale: scale, offset: offset, writable: writable, allowedRange: range)
    }

    static func decode(_ p: PointDefinition, _ regs: [UInt16], at start: Int = 0) -> PointValue {
        regs.withUnsafeBufferPointer { PointCodec.decode(p, registers: $0, at: start) }
    }

    static func encode(_ v: PointValue, _ p: PointDefinition) -> Result<[UInt16], EncodeError> {
        var regs = [UInt16](repeating: 0xEEEE, count: 40)
        let r: Result<Int, EncodeError> = regs.withUnsafeMutableBufferPointer { buffer in
            do throws(EncodeError) { return .success(try PointCodec.encode(v, for: p, into: buffer)) } catch { return .failure(error) }
        }
        return r.map { Array(regs[0..<$0]) }
    }

    static func bigEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        withUnsafeBytes(of: v.bigEndian) { Array($0) }
    }

    @Test(arguments: WordOrder.allCases)
    func int16AndUint16SwapOnlyBytes(order: WordOrder) {
        let regs = Self.layout([0xFE, 0x0C], order)
        #expect(Self.decode(Self.point(.int16, order), regs) == .int(-500))
        #expect(Self.decode(Self.point(.uint16, order), regs) == .uint(0xFE0C))
        #expect(Self.encode(.int(-500), Self.point(.int16, order)) == .success(regs))
    }

    @Test(arguments: WordOrder.allCases)
    func thirtyTwoBitTypesInEveryOrder(order: WordOrder) {
        let i: Int32 = -123_456_789
        let ri = Self.layout(Self.bigEndian(i), order)
        #expect(Self.decode(Self.point(.int32, order), ri) == .int(Int64(i)))
        #expect(Self.encode(.int(Int64(i)), Self.point(.int32, order)) == .success(ri))
        let u: UInt32 = 0xDEAD_BEEF
        let ru = Self.layout(Self.bigEndian(u), order)
        #expect(Self.decode(Self.point(.uint32, order), ru) == .uint(UInt64(u)))
        #expect(Self.encode(.uint(UInt64(u)), Self.point(.uint32, order)) == .success(ru))
        let f: Float = 3.14159
        let rf = Self.layout(Self.bigEndian(f.bitPattern), order)
        #expect(Self.decode(Self.point(.float32, order), rf) == .double(Double(f)))
        #expect(Self.encode(.double(Double(f)), Self.point(.float32, order)) == .success(rf))
    }

    @Test(arguments: WordOrder.allCases)
    func sixtyFourBitTypesInEveryOrder(order: WordOrder) {
        let i: Int64 = -1_234_567_890_123_456
        let ri = Self.layout(Self.bigEndian(i), order)
        #expect(Self.decode(Self.point(.int64, order), ri) == .int(i))
        #expect(Self.encode(.int(i), Self.point(.int64, order)) == .success(ri))
        let u: UInt64 = 0x0102_0304_0506_0708
        let ru = Self.layout(Self.bigEndian(u), order)
        #expect(Self.decode(Self.point(.uint64, order), ru) == .uint(u))
        #expect(Self.encode(.uint(u), Self.point(.uint64, order)) == .success(ru))
        let d = -2.718281828459045
        let rd = Self.layout(Self.bigEndian(d.bitPattern), order)
        #expect(Self.decode(Self.point(.float64, order), rd) == .double(d))
        #expect(Self.encode(.double(d), Self.point(.float64, order)) == .success(rd))
    }

    @Test func decodesAtAnOffsetInsideALargerResponse() {
        let regs: [UInt16] = [0xFFFF, 0x0001, 0x0002, 0xFFFF]
        #expect(Self.decode(Self.point(.uint32), regs, at: 1) == .uint(0x0001_0002))
        // A point running past the buffer decodes to NaN instead of reading out of bounds.
        guard case .double(let d) = Self.decode(Self.point(.uint32), regs, at: 3) else { Issue.record("not NaN"); return }
        #expect(d.isNaN)
    }

    @Test func scaleAndOffsetGiveEngineeringValuesAndInvertOnWrite() {
        let p = Self.point(.int16, scale: 0.1, offset: -40)
        #expect(Self.decode(p, [UInt16(bitPattern: 655)]) == .double(655 * 0.1 - 40))
        #expect(Self.encode(.double(25.5), p) == .success([655]))
        #expect(Self.encode(.double(-40), p) == .success([0]))
    }

    @Test func bitsOfARegisterAndBoolRegisters() {
        let regs: [UInt16] = [0b1000_0000_0000_0101]
        #expect(Self.decode(Self.point(.bitOfRegister(index: 0)), regs) == .bool(true))
        #expect(Self.decode(Self.point(.bitOfRegister(index: 1)), regs) == .bool(false))
        #expect(Self.decode(Self.point(.bitOfRegister(index: 15)), regs) == .bool(true))
        #expect(Self.decode(Self.point(.bool), [0]) == .bool(false))
        #expect(Self.encode(.bool(true), Self.point(.bool)) == .success([1]))
        #expect(Self.encode(.bool(true), Self.point(.bitOfRegister(index: 3))) == .failure(.readModifyWriteRequired))
    }

    @Test func coilBitsDecodeFromOneBytePerBit() {
        let p = PointDefinition(identifier: "c", table: .coil, address: 0, dataType: .bool, writable: true)
        let bits: [UInt8] = [0, 1, 0]
        #expect(bits.withUnsafeBufferPointer { PointCodec.decode(p, bits: $0, at: 1) } == .bool(true))
        #expect(bits.withUnsafeBufferPointer { PointCodec.decode(p, bits: $0, at: 2) } == .bool(false))
        #expect((try? PointCodec.encodeCoil(.int(1), for: p)) == true)
        #expect(throws: EncodeError.outOfTypeRange) { try PointCodec.encodeCoil(.int(2), for: p) }
    }

    @Test func stringsPackTwoBytesPerRegisterAndTrimPadding() {
        let regs: [UInt16] = [0x4142, 0x4344, 0x4500, 0x0000]
        #expect(Self.decode(Self.point(.string(length: 8)), regs) == .string(ShortString("ABCDE")))
        let swapped: [UInt16] = [0x4241, 0x4443, 0x0045, 0x0000]
        #expect(Self.decode(Self.point(.string(length: 8), .badc), swapped) == .string(ShortString("ABCDE")))
        #expect(Self.decode(Self.point(.string(length: 3)), regs) == .string(ShortString("ABC")))
        #expect(Self.encode(.string(ShortString("ABCDE")), Self.point(.string(length: 8))) == .success(regs))
        #expect(Self.encode(.string(ShortString("ABCDEFGHI")), Self.point(.string(length: 8))) == .failure(.stringTooLong))
    }

    @Test func writesAreCheckedAgainstRangeTypeAndWritability() {
        #expect(Self.encode(.int(5), Self.point(.uint16, writable: false)) == .failure(.notWritable))
        #expect(Self.encode(.int(101), Self.point(.uint16, range: 0...100)) == .failure(.outOfAllowedRange))
        #expect(Self.encode(.int(100), Self.point(.uint16, range: 0...100)) == .success([100]))
        #expect(Self.encode(.int(-1), Self.point(.uint16)) == .failure(.outOfTypeRange))
        #expect(Self.encode(.int(70000), Self.point(.uint16)) == .failure(.outOfTypeRange))
        #expect(Self.encode(.int(32768), Self.point(.int16)) == .failure(.outOfTypeRange))
        #expect(Self.encode(.double(.nan), Self.point(.float32)) == .failure(.notANumber))
        #expect(Self.encode(.string(ShortString("x")), Self.point(.int32)) == .failure(.typeMismatch))
        #expect(Self.encode(.double(7000), Self.point(.uint16, scale: 0.1)) == .failure(.outOfTypeRange))
        #expect(Self.encode(.double(6553.5), Self.point(.uint16, scale: 0.1)) == .success([65535]))
        var input = Self.point(.uint16)
        input.table = .inputRegister
        #expect(Self.encode(.int(1), input) == .failure(.notWritable))
    }
}

/// Decimal text of values (the probe and logs print doubles without interpolation).
@Suite struct DecimalTextTests {
    @Test func formatsShortestRoundTrippingDigits() {
        #expect(DecimalText.format(3.25) == "3.25")
        #expect(DecimalText.format(-98765.4321) == "-98765.4321")
        #expect(DecimalText.format(0.001) == "0.001")
        #expect(DecimalText.format(100) == "100")
        #expect(DecimalText.format(1.5e20) == "1.5e20")
        #expect(DecimalText.format(-2.5e-9) == "-2.5e-9")
        #expect(DecimalText.format(Double(Float(0.1)), asFloat: true) == "0.1")
        #expect(DecimalText.format(.nan) == "nan")
        #expect(DecimalText.format(.int(-5)) == "-5")
        #expect(DecimalText.format(.string(ShortString("ab"))) == "\"ab\"")
        // At most 15 significant digits (EdgeCore's DecimalConversion): 1/3 is cut, not rounded up.
        #expect(DecimalText.format(1.0 / 3) == "0.333333333333333")
        for v in [0.1, 123456.789, 6.02214076e23, 1e-300] {
            #expect(Double(DecimalText.format(v)) == v)
        }
    }
}
