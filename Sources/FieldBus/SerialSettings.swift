/// Parity of a serial line.
public enum Parity: UInt8, Equatable, Sendable {
    case none
    case even
    case odd

    /// libmodbus' parity character: 'N', 'E' or 'O'.
    @inlinable public var character: CChar {
        switch self {
        case .none: return 78
        case .even: return 69
        case .odd: return 79
        }
    }
}

/// How the RS-485 driver's transmit enable is switched: not at all (RS-232 or an auto-direction
/// transceiver), by the kernel's UART driver (TIOCSRS485, with delays around the frame), or by
/// libmodbus toggling RTS itself around each request.
public enum RS485Mode: Equatable, Sendable {
    case none
    /// The kernel drives RTS: `rtsOnSend` is RTS' level while sending; delays in milliseconds.
    case kernel(rtsOnSend: Bool, delayBeforeSendMilliseconds: UInt32, delayAfterSendMilliseconds: UInt32)
    /// libmodbus drives RTS (`rtsUp`: RTS high while sending), waiting `delayMicroseconds`.
    case libmodbusRTS(rtsUp: Bool, delayMicroseconds: UInt32)
}

/// A serial (Modbus RTU) port: the line settings and how RS-485 direction is controlled.
public struct SerialSettings: Equatable, Sendable {
    public var path: String
    public var baud: UInt32
    public var parity: Parity
    public var dataBits: UInt8
    public var stopBits: UInt8
    public var rs485: RS485Mode

    public init(path: String, baud: UInt32 = 9600, parity: Parity = .none, dataBits: UInt8 = 8,
                stopBits: UInt8 = 1, rs485: RS485Mode = .none) {
        self.path = path
        self.baud = baud
        self.parity = parity
        self.dataBits = dataBits
        self.stopBits = stopBits
        self.rs485 = rs485
    }

    /// Bits of one character on the wire: start, data, parity, stop (11 for 8E1 or 8N2).
    @inlinable public var bitsPerCharacter: UInt32 {
        1 + UInt32(dataBits) + (parity == .none ? 0 : 1) + UInt32(stopBits)
    }

    /// Nanoseconds one character occupies the wire.
    @inlinable public var characterNanoseconds: UInt64 {
        UInt64(bitsPerCharacter) * 1_000_000_000 / UInt64(max(baud, 1))
    }

    /// The Modbus RTU inter-frame gap: 3.5 characters, or the spec's fixed 1.75 ms above 19200 baud.
    @inlinable public var interFrameGapNanoseconds: UInt64 {
        if baud > 19200 { return 1_750_000 }
        return UInt64(bitsPerCharacter) * 3_500_000_000 / UInt64(max(baud, 1))
    }
}

/// A Modbus TCP endpoint.
public struct TCPSettings: Equatable, Sendable {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16 = 502) {
        self.host = host
        self.port = port
    }
}
