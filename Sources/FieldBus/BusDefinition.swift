import TLS

/// Where a bus is: a serial port (RTU) or a TCP endpoint.
public enum BusTransportSettings: Equatable, Sendable {
    case serial(SerialSettings)
    case tcp(TCPSettings)
}

/// The protocol a bus speaks. Configuration: `"protocol"`, default `modbus-rtu` on a serial
/// bus and `modbus-tcp` on a TCP one.
public enum FieldProtocolKind: String, Equatable, Sendable {
    case modbusRTU = "modbus-rtu"
    case modbusTCP = "modbus-tcp"
    /// DL/T 645-2007 multi-function meters (serial).
    case dlt645 = "dlt645"
    /// IEC 60870-5-104 outstations (TCP, a push protocol).
    case iec104 = "iec104"
}

/// One field bus and how the scheduler treats it: timeouts, retries, the inter-frame gap, when
/// a device counts as offline and how a dead device is probed (exponential back-off, capped).
public struct BusDefinition: Equatable, Sendable {
    public var name: String
    public var transport: BusTransportSettings
    public var fieldProtocol: FieldProtocolKind
    /// DL/T 645: seconds between broadcast time syncs (control 0x08, the gateway's local time);
    /// nil (the default) sends none.
    public var timeSyncIntervalSeconds: UInt32? = nil
    /// IEC 104: the link's k/w windows, T0-T3 and interrogation schedules (`"iec104"` of the bus;
    /// the common address is the devices'); nil on other protocols.
    public var iec104Link: IEC104LinkSettings? = nil
    /// IEC 104 over TLS (IEC 62351-3, the bus's `"tls"`); nil: plain TCP.
    public var iec104TLS: TLSFileSettings? = nil
    public var responseTimeoutMilliseconds: UInt32
    public var byteTimeoutMilliseconds: UInt32
    /// Overrides the 3.5-character gap between frames (serial), in microseconds.
    public var interFrameGapMicroseconds: UInt32?
    /// Extra attempts after a failed request (timeout, CRC error) while the device is online.
    public var retries: UInt8
    /// Consecutive failed transactions after which a device is offline.
    public var offlineAfterFailures: UInt8
    public var probeBackoffMinimumMilliseconds: UInt32
    public var probeBackoffMaximumMilliseconds: UInt32

    public init(name: String, transport: BusTransportSettings, responseTimeoutMilliseconds: UInt32 = 500,
                byteTimeoutMilliseconds: UInt32 = 50, interFrameGapMicroseconds: UInt32? = nil,
                retries: UInt8 = 1, offlineAfterFailures: UInt8 = 3,
                probeBackoffMinimumMilliseconds: UInt32 = 1000, probeBackoffMaximumMilliseconds: UInt32 = 60_000,
                fieldProtocol: FieldProtocolKind? = nil) {
        self.name = name
        self.transport = transport
        if let fieldProtocol {
            self.fieldProtocol = fieldProtocol
        } else if case .tcp = transport {
            self.fieldProtocol = .modbusTCP
        } else {
            self.fieldProtocol = .modbusRTU
        }
        self.responseTimeoutMilliseconds = responseTimeoutMilliseconds
        self.byteTimeoutMilliseconds = byteTimeoutMilliseconds
        self.interFrameGapMicroseconds = interFrameGapMicroseconds
        self.retries = retries
        self.offlineAfterFailures = offlineAfterFailures
        self.probeBackoffMinimumMilliseconds = probeBackoffMinimumMilliseconds
        self.probeBackoffMaximumMilliseconds = probeBackoffMaximumMilliseconds
    }

    /// The silence the scheduler keeps between the end of one transaction and the next request:
    /// `interFrameGapUs` when set; else Modbus RTU's 3.5 characters on a serial bus, none on TCP
    /// and none for DL/T 645, whose frames are delimited by their own bytes (0x68 … 0x16, with
    /// wake-up 0xFE bytes in front), not by silence: the 3.5-character gap cost 16 ms a read at
    /// 2400 baud, 8 % of a 32-meter round (BENCHMARKS.md "DL/T 645").
    public var interFrameGapNanoseconds: UInt64 {
        if let gap = interFrameGapMicroseconds { return UInt64(gap) * 1000 }
        if fieldProtocol == .dlt645 { return 0 }
        switch transport {
        case .serial(let s): return s.interFrameGapNanoseconds
        case .tcp: return 0
        }
    }
}
