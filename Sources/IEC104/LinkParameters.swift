/// The parameters of one IEC 104 link (defaults as IEC 60870-5-104 gives them): the k and w
/// windows, the T0-T3 timers, the station to interrogate, the interrogation and clock
/// synchronisation schedules.
public struct LinkParameters: Equatable, Sendable {
    /// k: unacknowledged I frames sent before sending stops (1-32767).
    public var k: Int = 12
    /// w: received I frames after which an S frame acknowledges at the latest (1-32767, at most 2k/3 recommended).
    public var w: Int = 8
    /// T0: connection establishment.
    public var t0Milliseconds: UInt64 = 30_000
    /// T1: a sent I frame or test/start frame must be acknowledged within this, else the link closes.
    public var t1Milliseconds: UInt64 = 15_000
    /// T2: received I frames are acknowledged within this when there is no data to send (T2 < T1).
    public var t2Milliseconds: UInt64 = 10_000
    /// T3: idle time after which a TESTFR act is sent.
    public var t3Milliseconds: UInt64 = 20_000
    /// The common address of the station (0xFFFF: all stations) used for interrogations.
    public var commonAddress: UInt16 = 1
    /// The originator address put in the COT of what this master sends.
    public var originator: UInt8 = 0
    /// Station (general) interrogation right after STARTDT con.
    public var interrogateAtStart = true
    /// General interrogation every this many milliseconds after start (0: only at start).
    public var interrogationPeriodMilliseconds: UInt64 = 0
    /// Counter interrogation every this many milliseconds after start (0: never by schedule).
    public var counterInterrogationPeriodMilliseconds: UInt64 = 0
    /// Clock synchronisation (C_CS_NA_1 with the clock's wall time) right after STARTDT con and
    /// then every this many milliseconds (0: never, the default).
    public var clockSyncPeriodMilliseconds: UInt64 = 0
    /// Bytes of the output buffer (frames waiting for the socket), allocated once.
    public var outputBufferBytes = 4096

    public init() {}

    /// Nil when valid, else the name of the first bad parameter and why (for config errors).
    public var problem: String? {
        if k < 1 || k > 32767 { return "k must be 1...32767" }
        if w < 1 || w > 32767 { return "w must be 1...32767" }
        if t1Milliseconds == 0 || t2Milliseconds == 0 || t3Milliseconds == 0 || t0Milliseconds == 0 { return "timers must be > 0" }
        if t2Milliseconds >= t1Milliseconds { return "t2 must be shorter than t1" }
        if outputBufferBytes < 2 * APCICodec.maximumFrameLength { return "output buffer must hold 2 frames (510 bytes)" }
        return nil
    }
}
