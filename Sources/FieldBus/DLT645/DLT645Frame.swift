/// The DL/T 645-2007 frame, as a pure codec over caller buffers (no allocation, no I/O):
///
///     FE… 68 A0 A1 A2 A3 A4 A5 68 C L D0…D(L-1) CS 16
///
/// Any number of 0xFE wake-up bytes may precede a frame (we send `wakeUpBytes`, accept any count
/// on receive); the address is sent least significant byte first; every data byte travels
/// with 0x33 added; CS is the sum modulo 256 of the bytes from the first 0x68 to the last data
/// byte. The control code's bit 7 marks a reply, bit 6 an error reply, bit 5 follow-up frames.
public enum DLT645Frame {
    /// Control codes used here: read data, its normal replies (without and with follow-up
    /// frames) and error reply, broadcast time sync.
    public static let readData: UInt8 = 0x11
    public static let readReply: UInt8 = 0x91
    public static let readReplyWithFollowUp: UInt8 = 0xB1
    public static let readErrorReply: UInt8 = 0xD1
    public static let broadcastTimeSync: UInt8 = 0x08
    /// The standard's limit on L for a reply.
    public static let maximumDataLength = 200
    /// Header (68, 6 address bytes, 68, C, L) plus CS and 16: the frame around the data.
    public static let overhead = 12

    /// Writes a read request for `di` to `address` into `buffer`; returns its length.
    public static func encodeRead(address: DLT645Address, di: UInt32, into buffer: UnsafeMutableBufferPointer<UInt8>,
                                  wakeUpBytes: Int = 4) throws(DLT645Error) -> Int {
        var data: (UInt8, UInt8, UInt8, UInt8) = (UInt8(truncatingIfNeeded: di), UInt8(truncatingIfNeeded: di >> 8),
                                                  UInt8(truncatingIfNeeded: di >> 16), UInt8(truncatingIfNeeded: di >> 24))
        return try withUnsafeBytes(of: &data) { raw throws(DLT645Error) in
            try encode(address: address, control: readData, data: raw.bindMemory(to: UInt8.self), into: buffer,
                       wakeUpBytes: wakeUpBytes)
        }
    }

    /// Writes the broadcast time sync (to 999999999999; meters do not answer) for the given
    /// local time; `year` is 0...99 (the century is implied).
    public static func encodeTimeSync(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                                      into buffer: UnsafeMutableBufferPointer<UInt8>, wakeUpBytes: Int = 4) throws(DLT645Error) -> Int {
        func bcd(_ v: Int) -> UInt8 { UInt8((v / 10) % 10 * 16 + v % 10) }
        var data: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (bcd(second), bcd(minute), bcd(hour), bcd(day), bcd(month), bcd(year))
        return try withUnsafeBytes(of: &data) { raw throws(DLT645Error) in
            try encode(address: .broadcast, control: broadcastTimeSync, data: raw.bindMemory(to: UInt8.self),
                       into: buffer, wakeUpBytes: wakeUpBytes)
        }
    }

    /// Writes any frame: `data` as plain bytes (the 0x33 offset is added here).
    public static func encode(address: DLT645Address, control: UInt8, data: UnsafeBufferPointer<UInt8>,
                              into buffer: UnsafeMutableBufferPointer<UInt8>, wakeUpBytes: Int = 4) throws(DLT645Error) -> Int {
        let total = wakeUpBytes + overhead + data.count
        guard data.count <= 255, wakeUpBytes >= 0, buffer.count >= total else { throw .bufferTooSmall }
        var n = 0
        for _ in 0..<wakeUpBytes { buffer[n] = 0xFE; n += 1 }
        let start = n
        buffer[n] = 0x68; n += 1
        for i in 0..<6 { buffer[n] = address.byte(i); n += 1 }
        buffer[n] = 0x68; n += 1
        buffer[n] = control; n += 1
        buffer[n] = UInt8(data.count); n += 1
        for i in 0..<data.count { buffer[n] = data[i] &+ 0x33; n += 1 }
        var sum: UInt8 = 0
        for i in start..<n { sum &+= buffer[i] }
        buffer[n] = sum; n += 1
        buffer[n] = 0x16; n += 1
        return n
    }

    /// How far the frame at the start of `bytes` goes: nil while more bytes are needed, else the
    /// count of bytes it takes (wake-up bytes included). Throws as soon as the bytes cannot be a
    /// frame (a byte other than 0xFE before the start, no second 0x68, L beyond 200), without
    /// reading past `bytes`.
    public static func frameLength(_ bytes: UnsafeBufferPointer<UInt8>) throws(DLT645Error) -> Int? {
        var start = 0
        while start < bytes.count && bytes[start] == 0xFE { start += 1 }
        guard start < bytes.count else { return nil }
        guard bytes[start] == 0x68 else { throw .badStart }
        guard bytes.count > start + 7 else { return nil }
        guard bytes[start + 7] == 0x68 else { throw .badStart }
        guard bytes.count > start + 9 else { return nil }
        let length = bytes[start + 9]
        guard Int(length) <= maximumDataLength else { throw .badLength(length) }
        let total = start + overhead + Int(length)
        return bytes.count >= total ? total : nil
    }

    /// Checks the frame at the start of `bytes` (one whole frame, as `frameLength` measured it)
    /// and removes the 0x33 offset from its data in place. Throws on any malformed byte.
    public static func parse(_ bytes: UnsafeMutableBufferPointer<UInt8>) throws(DLT645Error) -> DLT645Reply {
        guard let total = try frameLength(UnsafeBufferPointer(bytes)) else { throw .truncated }
        var start = 0
        while bytes[start] == 0xFE { start += 1 }
        let length = Int(bytes[start + 9])
        let dataStart = start + 10
        var sum: UInt8 = 0
        for i in start..<(dataStart + length) { sum &+= bytes[i] }
        let received = bytes[dataStart + length]
        guard sum == received else { throw .badChecksum(expected: sum, received: received) }
        guard bytes[total - 1] == 0x16 else { throw .badEnd }
        var station: UInt64 = 0
        for i in 0..<6 { station |= UInt64(bytes[start + 1 + i]) << UInt64(8 * i) }
        for i in dataStart..<(dataStart + length) { bytes[i] &-= 0x33 }
        return DLT645Reply(address: DLT645Address(station: station), control: bytes[start + 8],
                           dataStart: dataStart, dataLength: length)
    }

    /// Checks a parsed frame as the answer to a read of `di` from `asked` and decodes its value
    /// with `format`: an error reply throws `.errorReply` with the meter's error byte.
    public static func readValue(_ reply: DLT645Reply, in bytes: UnsafeMutableBufferPointer<UInt8>, asked: DLT645Address,
                                 di: UInt32, format: DLT645DataFormat) throws(DLT645Error) -> Double {
        guard matches(reply.address, asked: asked) else { throw .wrongAddress }
        switch reply.control {
        case readErrorReply:
            throw .errorReply(reply.dataLength >= 1 ? bytes[reply.dataStart] : 0)
        case readReply, readReplyWithFollowUp:
            break
        default:
            throw .unexpectedControl(reply.control)
        }
        guard reply.dataLength >= 4 else { throw .wrongDataIdentifier(0) }
        var echoed: UInt32 = 0
        for i in 0..<4 { echoed |= UInt32(bytes[reply.dataStart + i]) << UInt32(8 * i) }
        guard echoed == di, reply.dataLength >= 4 + format.valueBytes else { throw .wrongDataIdentifier(echoed) }
        let value = UnsafeBufferPointer(rebasing: bytes[(reply.dataStart + 4)..<(reply.dataStart + reply.dataLength)])
        return try format.value(value)
    }

    /// True when `reply` may answer a request to `asked`: the same digits, where `asked` has a
    /// wildcard (0xA) nibble any digit.
    public static func matches(_ reply: DLT645Address, asked: DLT645Address) -> Bool {
        for i in 0..<12 {
            let shift = UInt64(4 * i)
            let a = (asked.station >> shift) & 0xF
            if a != 0xA && a != (reply.station >> shift) & 0xF { return false }
        }
        return true
    }
}

/// A checked frame: who sent it, its control code and where its data (offset removed) lies in
/// the buffer it was parsed in.
public struct DLT645Reply: Equatable, Sendable {
    public var address: DLT645Address
    public var control: UInt8
    public var dataStart: Int
    public var dataLength: Int
}
