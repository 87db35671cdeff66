extension DLT645Frame {
    /// The data identifier of the meter's communication address (DL/T 645-2007 Appendix A,
    /// "通信地址", 6 bytes NNNNNNNNNNNN): read from the wildcard address AAAAAAAAAAAA, the single
    /// meter on a line answers with its own address.
    public static let communicationAddressIdentifier: UInt32 = 0x0400_0401

    /// Checks a parsed frame as the answer to a read of the communication address from `asked`
    /// and returns the address the meter gives (its 6 data bytes, least significant first, 12
    /// BCD digits). Throws like `readValue` (an error reply, another DI, a digit above 9).
    public static func readAddress(_ reply: DLT645Reply, in bytes: UnsafeMutableBufferPointer<UInt8>,
                                   asked: DLT645Address) throws(DLT645Error) -> DLT645Address {
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
        guard echoed == communicationAddressIdentifier, reply.dataLength >= 10 else { throw .wrongDataIdentifier(echoed) }
        var station: UInt64 = 0
        for i in 0..<6 {
            let b = bytes[reply.dataStart + 4 + i]
            guard b >> 4 <= 9, b & 0x0F <= 9 else { throw .badBCD }
            station |= UInt64(b) << UInt64(8 * i)
        }
        return DLT645Address(station: station)
    }
}
