/// Why a frame, an ASDU or a request was refused: the kind, the byte offset in the input where it
/// was found, and the offending value. Thrown with `throws(IEC104Error)`, which never allocates;
/// `text` names all three in words for the log.
public struct IEC104Error: Error, Equatable, Sendable {
    /// What was wrong.
    public enum Kind: UInt8, Sendable {
        /// The first byte of an APDU is not the start byte 0x68.
        case badStartByte
        /// The APDU length is below 4 or above 253, or an I frame carries no ASDU.
        case badLength
        /// The input ends before the frame, the ASDU or the element does.
        case truncated
        /// The ASDU has bytes left over after its last information object.
        case trailingBytes
        /// The ASDU's number of objects is 0.
        case noObjects
        /// A CP56Time2a field is out of range (milliseconds, minutes, hours, day, month).
        case badTime
        /// The output buffer is too small for what is being written.
        case bufferTooSmall
        /// A value does not fit its field (an IOA above 2^24, a qualifier above its bits).
        case valueOutOfRange
        /// A received I frame's send sequence number is not the one expected.
        case sequenceError
        /// A received acknowledgement names a frame that was never sent.
        case badAcknowledgement
        /// An I frame arrived before STARTDT was confirmed, or a U frame that is not one function.
        case unexpectedFrame
        /// An I frame cannot be sent: k frames are unacknowledged.
        case windowFull
        /// The link is not started (no STARTDT con yet) or is closed.
        case notStarted
    }

    public var kind: Kind
    /// The byte offset in the frame or ASDU where the problem is (0 when not about input).
    public var offset: Int
    /// The value found (a byte, a length, a sequence number), 0 when there is none.
    public var value: Int

    public init(_ kind: Kind, offset: Int = 0, value: Int = 0) {
        self.kind = kind
        self.offset = offset
        self.value = value
    }

    /// One line for the log (allocates: error paths only).
    public var text: String {
        let what: String
        switch kind {
        case .badStartByte: what = "APDU does not start with 0x68"
        case .badLength: what = "APDU length out of range (4...253, I frames > 4)"
        case .truncated: what = "input ends inside the frame"
        case .trailingBytes: what = "bytes left after the last information object"
        case .noObjects: what = "ASDU has no information objects"
        case .badTime: what = "CP56Time2a field out of range"
        case .bufferTooSmall: what = "output buffer too small"
        case .valueOutOfRange: what = "value does not fit its field"
        case .sequenceError: what = "I frame out of sequence"
        case .badAcknowledgement: what = "acknowledgement of a frame never sent"
        case .unexpectedFrame: what = "frame not allowed in this link state"
        case .windowFull: what = "k unacknowledged I frames: window full"
        case .notStarted: what = "link not started"
        }
        return "iec104: \(what) at byte \(offset) (value \(value))"
    }
}
