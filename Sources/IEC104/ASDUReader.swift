/// Reads the information objects of one received ASDU in place: the header and the whole length
/// are checked when it is made (so a short or over-long ASDU is refused before any object is
/// reported), then `next()` decodes one object at a time. Never allocates, never traps.
public struct ASDUReader {
    public let header: ASDUHeader
    public let type: TypeIdentification
    let bytes: UnsafeRawBufferPointer
    var index = 0

    /// Checks the header and the length. Throws `.valueOutOfRange` (offset 0) for a type this
    /// master does not decode, `.noObjects`, `.truncated` or `.trailingBytes`.
    public init(_ asdu: UnsafeRawBufferPointer) throws(IEC104Error) {
        let header = try ASDUHeader.decode(asdu)
        guard let type = header.type else { throw IEC104Error(.valueOutOfRange, offset: 0, value: Int(header.typeCode)) }
        guard header.count > 0 else { throw IEC104Error(.noObjects, offset: 1, value: 0) }
        let element = type.elementLength
        let a = ASDUHeader.objectAddressLength
        let expected = ASDUHeader.length + (header.isSequence ? a + header.count * element : header.count * (a + element))
        guard asdu.count >= expected else { throw IEC104Error(.truncated, offset: asdu.count, value: expected) }
        guard asdu.count == expected else { throw IEC104Error(.trailingBytes, offset: expected, value: asdu.count) }
        self.header = header
        self.type = type
        self.bytes = asdu
    }

    /// The next information object, nil after the last one.
    public mutating func next() throws(IEC104Error) -> InformationObject? {
        guard index < header.count else { return nil }
        let element = type.elementLength
        let a = ASDUHeader.objectAddressLength
        var address: UInt32
        var at: Int
        if header.isSequence {
            address = Self.address(bytes, ASDUHeader.length) &+ UInt32(index)
            guard address <= 0xFF_FFFF else { throw IEC104Error(.valueOutOfRange, offset: ASDUHeader.length, value: Int(address)) }
            at = ASDUHeader.length + a + index * element
        } else {
            let start = ASDUHeader.length + index * (a + element)
            address = Self.address(bytes, start)
            at = start + a
        }
        index += 1
        return try Self.element(type, bytes, at: at, address: address)
    }

    static func address(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16
    }

    static func int16(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int16 {
        Int16(bitPattern: UInt16(b[at]) | UInt16(b[at + 1]) << 8)
    }

    static func uint32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    /// Decodes one element of `type` at `at` (the caller has checked the length).
    static func element(_ type: TypeIdentification, _ b: UnsafeRawBufferPointer, at: Int, address: UInt32) throws(IEC104Error) -> InformationObject {
        var o = InformationObject(address: address, value: .none)
        switch type {
        case .singlePoint, .singlePointTime:
            o.value = .single(b[at] & 0x01 != 0)
            o.quality = Quality(descriptor: b[at], hasOverflow: false)
        case .doublePoint, .doublePointTime:
            o.value = .double(DoublePointState(rawValue: b[at] & 0x03) ?? .indeterminate)
            o.quality = Quality(descriptor: b[at], hasOverflow: false)
        case .normalized, .normalizedTime:
            o.value = .normalized(Float(int16(b, at)) / 32768)
            o.quality = Quality(descriptor: b[at + 2], hasOverflow: true)
        case .scaled, .scaledTime:
            o.value = .scaled(int16(b, at))
            o.quality = Quality(descriptor: b[at + 2], hasOverflow: true)
        case .shortFloat, .shortFloatTime:
            o.value = .float(Float(bitPattern: uint32(b, at)))
            o.quality = Quality(descriptor: b[at + 4], hasOverflow: true)
        case .integratedTotals, .integratedTotalsTime:
            o.value = .counter(Int32(bitPattern: uint32(b, at)), sequence: b[at + 4] & 0x1F)
            o.quality = Quality(counterSequence: b[at + 4])
        case .singleCommand:
            o.value = .single(b[at] & 0x01 != 0)
            o.qualifier = b[at]
        case .doubleCommand:
            o.value = .double(DoublePointState(rawValue: b[at] & 0x03) ?? .indeterminate)
            o.qualifier = b[at]
        case .setpointFloat:
            o.value = .float(Float(bitPattern: uint32(b, at)))
            o.qualifier = b[at + 4]
        case .endOfInitialisation, .interrogation, .counterInterrogation:
            o.qualifier = b[at]
        case .clockSynchronisation:
            o.time = try CP56Time2a.decode(b, at: at)
        }
        if type.hasTime {
            o.time = try CP56Time2a.decode(b, at: at + type.elementLength - CP56Time2a.length)
        }
        return o
    }
}
