/// The data unit identifier of an ASDU as IEC 104 sends it: type identification, variable
/// structure qualifier (number of objects, SQ bit), a 2-byte cause of transmission (cause, P/N and
/// test bits, originator address) and a 2-byte common address. Information object addresses that
/// follow are 3 bytes.
public struct ASDUHeader: Equatable, Sendable {
    public static let length = 6
    public static let objectAddressLength = 3
    /// The broadcast common address (all stations).
    public static let globalAddress: UInt16 = 0xFFFF

    /// The type identification as sent (it may be one this master does not know).
    public var typeCode: UInt8
    /// Number of information objects (SQ = 0) or elements (SQ = 1), 0-127.
    public var count: Int
    /// SQ: one object address followed by `count` elements at consecutive addresses.
    public var isSequence: Bool
    /// The cause of transmission as sent (bits 0-5).
    public var causeCode: UInt8
    /// P/N: the outstation refuses the activation.
    public var negative: Bool
    /// T: a test transmission.
    public var test: Bool
    public var originator: UInt8
    public var commonAddress: UInt16

    public init(type: TypeIdentification, count: Int = 1, isSequence: Bool = false, cause: Cause,
                negative: Bool = false, test: Bool = false, originator: UInt8 = 0, commonAddress: UInt16) {
        self.typeCode = type.rawValue
        self.count = count
        self.isSequence = isSequence
        self.causeCode = cause.rawValue
        self.negative = negative
        self.test = test
        self.originator = originator
        self.commonAddress = commonAddress
    }

    public var type: TypeIdentification? { TypeIdentification(rawValue: typeCode) }
    public var cause: Cause? { Cause(rawValue: causeCode) }

    /// Decodes the 6-byte header at the start of an ASDU.
    public static func decode(_ asdu: UnsafeRawBufferPointer) throws(IEC104Error) -> ASDUHeader {
        guard asdu.count >= length else { throw IEC104Error(.truncated, offset: asdu.count, value: length) }
        let vsq = asdu[1], cot = asdu[2]
        var h = ASDUHeader(type: .singlePoint, cause: .spontaneous, commonAddress: 0)
        h.typeCode = asdu[0]
        h.count = Int(vsq & 0x7F)
        h.isSequence = vsq & 0x80 != 0
        h.causeCode = cot & 0x3F
        h.negative = cot & 0x40 != 0
        h.test = cot & 0x80 != 0
        h.originator = asdu[3]
        h.commonAddress = UInt16(asdu[4]) | UInt16(asdu[5]) << 8
        return h
    }

    /// Writes the 6-byte header at `offset` of `buffer`.
    public func encode(into buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) throws(IEC104Error) {
        guard offset >= 0, buffer.count - offset >= Self.length else { throw IEC104Error(.bufferTooSmall, value: Self.length) }
        guard count >= 0, count <= 127 else { throw IEC104Error(.valueOutOfRange, offset: 1, value: count) }
        guard causeCode <= 0x3F else { throw IEC104Error(.valueOutOfRange, offset: 2, value: Int(causeCode)) }
        buffer[offset] = typeCode
        buffer[offset + 1] = UInt8(count) | (isSequence ? 0x80 : 0)
        buffer[offset + 2] = causeCode | (negative ? 0x40 : 0) | (test ? 0x80 : 0)
        buffer[offset + 3] = originator
        buffer[offset + 4] = UInt8(truncatingIfNeeded: commonAddress)
        buffer[offset + 5] = UInt8(truncatingIfNeeded: commonAddress >> 8)
    }
}
