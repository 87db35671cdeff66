/// The functions of a U frame (unnumbered control): start, stop and test of data transfer, each
/// as an activation or a confirmation. The raw value is the first control octet.
public enum UFunction: UInt8, Sendable {
    case startActivation = 0x07
    case startConfirmation = 0x0B
    case stopActivation = 0x13
    case stopConfirmation = 0x23
    case testActivation = 0x43
    case testConfirmation = 0x83
}

/// The application protocol control information of one APDU: an I frame (numbered information,
/// carrying an ASDU), an S frame (numbered supervisory: an acknowledgement) or a U frame.
/// Sequence numbers are 15 bits (mod 32768).
public enum APCI: Equatable, Sendable {
    case information(send: UInt16, receive: UInt16)
    case supervisory(receive: UInt16)
    case unnumbered(UFunction)
}

/// Encodes and decodes the 6-byte APCI (start byte 0x68, length, four control octets) over caller
/// buffers; never allocates, never traps on any input.
public enum APCICodec {
    public static let startByte: UInt8 = 0x68
    /// The largest APDU: 2 header bytes plus a length of at most 253.
    public static let maximumFrameLength = 255
    /// The largest ASDU in one I frame (253 - 4 control octets).
    public static let maximumASDULength = 249

    /// The whole frame length announced by a header, or nil when fewer than 2 bytes are present.
    /// Throws on a wrong start byte or a length outside 4...253.
    public static func frameLength(_ bytes: UnsafeRawBufferPointer) throws(IEC104Error) -> Int? {
        guard bytes.count >= 1 else { return nil }
        guard bytes[0] == startByte else { throw IEC104Error(.badStartByte, offset: 0, value: Int(bytes[0])) }
        guard bytes.count >= 2 else { return nil }
        let length = Int(bytes[1])
        guard length >= 4, length <= 253 else { throw IEC104Error(.badLength, offset: 1, value: length) }
        return length + 2
    }

    /// Decodes the APCI of one whole frame (exactly `frameLength` bytes) and returns it with the
    /// ASDU's bytes (empty for S and U frames).
    public static func decode(_ frame: UnsafeRawBufferPointer) throws(IEC104Error) -> (APCI, UnsafeRawBufferPointer) {
        guard let length = try frameLength(frame), frame.count >= 6 else { throw IEC104Error(.truncated, offset: frame.count) }
        guard frame.count == length else {
            throw IEC104Error(frame.count < length ? .truncated : .trailingBytes, offset: frame.count, value: length)
        }
        let c1 = frame[2], c2 = frame[3], c3 = frame[4], c4 = frame[5]
        let asdu = UnsafeRawBufferPointer(rebasing: frame[6...])
        let receive = UInt16(c3 >> 1) | UInt16(c4) << 7
        if c1 & 0x01 == 0 {
            guard asdu.count > 0 else { throw IEC104Error(.badLength, offset: 1, value: Int(frame[1])) }
            let send = UInt16(c1 >> 1) | UInt16(c2) << 7
            return (.information(send: send, receive: receive), asdu)
        }
        guard asdu.count == 0 else { throw IEC104Error(.badLength, offset: 1, value: Int(frame[1])) }
        if c1 & 0x03 == 0x01 {
            return (.supervisory(receive: receive), asdu)
        }
        guard let function = UFunction(rawValue: c1), c2 == 0, c3 == 0, c4 == 0 else {
            throw IEC104Error(.unexpectedFrame, offset: 2, value: Int(c1))
        }
        return (.unnumbered(function), asdu)
    }

    /// Writes the 6-byte APCI of `apci` at the start of `buffer`, for an ASDU of `asduLength` bytes
    /// that the caller puts at offset 6. Returns the whole frame's length.
    @discardableResult
    public static func encode(_ apci: APCI, asduLength: Int = 0, into buffer: UnsafeMutableRawBufferPointer) throws(IEC104Error) -> Int {
        guard asduLength >= 0, asduLength <= maximumASDULength else { throw IEC104Error(.valueOutOfRange, value: asduLength) }
        guard buffer.count >= 6 + asduLength else { throw IEC104Error(.bufferTooSmall, value: 6 + asduLength) }
        buffer[0] = startByte
        buffer[1] = UInt8(4 + asduLength)
        switch apci {
        case .information(let send, let receive):
            guard asduLength > 0 else { throw IEC104Error(.badLength, value: 4) }
            buffer[2] = UInt8(truncatingIfNeeded: (send & 0x7FFF) << 1)
            buffer[3] = UInt8(truncatingIfNeeded: (send & 0x7FFF) >> 7)
            buffer[4] = UInt8(truncatingIfNeeded: (receive & 0x7FFF) << 1)
            buffer[5] = UInt8(truncatingIfNeeded: (receive & 0x7FFF) >> 7)
        case .supervisory(let receive):
            buffer[2] = 0x01
            buffer[3] = 0
            buffer[4] = UInt8(truncatingIfNeeded: (receive & 0x7FFF) << 1)
            buffer[5] = UInt8(truncatingIfNeeded: (receive & 0x7FFF) >> 7)
        case .unnumbered(let function):
            buffer[2] = function.rawValue
            buffer[3] = 0
            buffer[4] = 0
            buffer[5] = 0
        }
        return 6 + asduLength
    }
}

/// Sequence numbers modulo 32768.
public enum SequenceNumber {
    public static let modulus: UInt16 = 32768

    /// The number after `n`.
    @inlinable public static func next(_ n: UInt16) -> UInt16 { (n &+ 1) & 0x7FFF }

    /// How many numbers from `from` up to `to` (mod 32768).
    @inlinable public static func distance(from: UInt16, to: UInt16) -> Int { Int((to &- from) & 0x7FFF) }
}
