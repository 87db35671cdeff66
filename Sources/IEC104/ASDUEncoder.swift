/// A command or request this master sends, with what its element needs.
public enum ControlRequest: Equatable, Sendable {
    /// C_SC_NA_1: on/off; `select` sets S/E (select before operate), `qualifier` is QU (0-31).
    case single(Bool, select: Bool = false, qualifier: UInt8 = 0)
    /// C_DC_NA_1: `.on` or `.off` (DCS 2 or 1).
    case double(DoublePointState, select: Bool = false, qualifier: UInt8 = 0)
    /// C_SE_NC_1: a short float set-point; `qualifier` is QL (0-127).
    case setpointFloat(Float, select: Bool = false, qualifier: UInt8 = 0)
    /// C_IC_NA_1 with QOI (20: station interrogation).
    case interrogation(qualifier: UInt8 = 20)
    /// C_CI_NA_1 with QCC (5: general counter request, no freeze).
    case counterInterrogation(qualifier: UInt8 = 5)
    /// C_CS_NA_1 with the time to set.
    case clockSynchronisation(CP56Time2a)

    public var type: TypeIdentification {
        switch self {
        case .single: return .singleCommand
        case .double: return .doubleCommand
        case .setpointFloat: return .setpointFloat
        case .interrogation: return .interrogation
        case .counterInterrogation: return .counterInterrogation
        case .clockSynchronisation: return .clockSynchronisation
        }
    }
}

/// Writes control-direction ASDUs (one information object, SQ = 0) into caller buffers.
public enum ASDUEncoder {
    /// Writes the ASDU of `request` for `commonAddress`/`address` with `cause` (activation or
    /// deactivation) into `buffer` at `offset`; returns its length. Interrogations and clock
    /// synchronisation use object address 0.
    public static func encode(_ request: ControlRequest, commonAddress: UInt16, address: UInt32 = 0,
                              cause: Cause = .activation, originator: UInt8 = 0,
                              into buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) throws(IEC104Error) -> Int {
        let type = request.type
        let length = ASDUHeader.length + ASDUHeader.objectAddressLength + type.elementLength
        guard offset >= 0, buffer.count - offset >= length else { throw IEC104Error(.bufferTooSmall, value: length) }
        guard address <= 0xFF_FFFF else { throw IEC104Error(.valueOutOfRange, offset: ASDUHeader.length, value: Int(address)) }
        let header = ASDUHeader(type: type, cause: cause, originator: originator, commonAddress: commonAddress)
        try header.encode(into: buffer, at: offset)
        var at = offset + ASDUHeader.length
        buffer[at] = UInt8(truncatingIfNeeded: address)
        buffer[at + 1] = UInt8(truncatingIfNeeded: address >> 8)
        buffer[at + 2] = UInt8(truncatingIfNeeded: address >> 16)
        at += 3
        switch request {
        case .single(let on, let select, let qu):
            guard qu <= 31 else { throw IEC104Error(.valueOutOfRange, offset: at, value: Int(qu)) }
            buffer[at] = (on ? 1 : 0) | qu << 2 | (select ? 0x80 : 0)
        case .double(let state, let select, let qu):
            guard qu <= 31, state == .on || state == .off else { throw IEC104Error(.valueOutOfRange, offset: at, value: Int(state.rawValue)) }
            buffer[at] = state.rawValue | qu << 2 | (select ? 0x80 : 0)
        case .setpointFloat(let value, let select, let ql):
            guard ql <= 127 else { throw IEC104Error(.valueOutOfRange, offset: at + 4, value: Int(ql)) }
            let bits = value.bitPattern
            for i in 0..<4 { buffer[at + i] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i))) }
            buffer[at + 4] = ql | (select ? 0x80 : 0)
        case .interrogation(let qoi):
            buffer[at] = qoi
        case .counterInterrogation(let qcc):
            buffer[at] = qcc
        case .clockSynchronisation(let time):
            try time.encode(into: buffer, at: at)
        }
        return length
    }
}
