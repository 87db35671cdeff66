import EdgeCore
import IEC104

/// Test helpers: hex to bytes, frames split from the link's output, and a link on a manual clock.
enum FrameBytes {
    /// "68 04 07 00 00 00" -> bytes (spaces ignored).
    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }

    static func text(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
    }

    /// An I frame with the given sequence numbers around an ASDU.
    static func information(send: UInt16, receive: UInt16, asdu: [UInt8]) -> [UInt8] {
        let frame = scratch(6 + asdu.count) { b throws(IEC104Error) in
            try APCICodec.encode(.information(send: send, receive: receive), asduLength: asdu.count, into: b)
        }
        _ = try? frame.0.get()
        return Array(frame.1[0..<6]) + asdu
    }

    static func supervisory(receive: UInt16) -> [UInt8] {
        scratch(6) { b throws(IEC104Error) in try APCICodec.encode(.supervisory(receive: receive), into: b) }.1
    }

    static func unnumbered(_ f: UFunction) -> [UInt8] { [0x68, 0x04, f.rawValue, 0, 0, 0] }

    /// Splits concatenated frames.
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var at = 0
        while at + 2 <= bytes.count {
            let end = min(bytes.count, at + 2 + Int(bytes[at + 1]))
            frames.append(Array(bytes[at..<end]))
            at = end
        }
        return frames
    }

    static func decode(_ frame: [UInt8]) -> APCI? {
        try? reading(frame) { b throws(IEC104Error) in try APCICodec.decode(b).0 }.get()
    }
}

/// A link on a manual clock with helpers to feed frames and take its output.
struct LinkHarness: ~Copyable {
    let clock = ManualClock()
    var link: IEC104Link<ManualClock>
    var events: [LinkEvent] = []
    var lastError: IEC104Error?
    /// The outstation's next send sequence number.
    var outstationSend: UInt16 = 0

    init(_ configure: (inout LinkParameters) -> Void = { _ in }) {
        var p = LinkParameters()
        p.commonAddress = 47
        configure(&p)
        link = IEC104Link(parameters: p, clock: clock)
    }

    /// Output written so far, as frames (the output is consumed).
    mutating func takeOutput() -> [[UInt8]] {
        let bytes = Array(link.pendingOutput)
        link.outputWritten(bytes.count)
        return FrameBytes.split(bytes)
    }

    mutating func feed(_ bytes: [UInt8]) {
        var collected: [LinkEvent] = []
        do throws(IEC104Error) {
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
            defer { b.deallocate() }
            b.copyBytes(from: bytes)
            try link.receive(UnsafeRawBufferPointer(rebasing: b[0..<bytes.count])) { collected.append($0) }
        } catch { lastError = error }
        events += collected
    }

    /// An I frame from the outstation with the next sequence number, acknowledging `receive`.
    mutating func feedASDU(_ asdu: [UInt8], acknowledging receive: UInt16? = nil) {
        let frame = FrameBytes.information(send: outstationSend, receive: receive ?? link.sendSequence, asdu: asdu)
        outstationSend = SequenceNumber.next(outstationSend)
        feed(frame)
    }

    /// Opens and starts the link (STARTDT act -> con) and takes its output.
    @discardableResult
    mutating func start() -> [[UInt8]] {
        link.connecting()
        link.connectionOpened()
        var out = takeOutput()
        feed(FrameBytes.unnumbered(.startConfirmation))
        _ = link.poll()
        out += takeOutput()
        return out
    }
}

extension FrameBytes {
    /// Runs `body` over a zeroed scratch buffer of `count` bytes and returns its result with the
    /// buffer's bytes. (Typed-throwing closures are not passed through the standard library's
    /// `rethrows` buffer functions: Swift 6.3's IR generation crashes on that thunk.)
    static func scratch<T>(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) throws(IEC104Error) -> T) -> (Result<T, IEC104Error>, [UInt8]) {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 8)
        defer { b.deallocate() }
        b.initializeMemory(as: UInt8.self, repeating: 0)
        let p = UnsafeMutableRawBufferPointer(rebasing: b[0..<count])
        let result: Result<T, IEC104Error>
        do throws(IEC104Error) { result = .success(try body(p)) } catch { result = .failure(error) }
        return (result, Array(p))
    }

    /// `body` over a copy of `bytes`.
    static func reading<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(IEC104Error) -> T) -> Result<T, IEC104Error> {
        scratch(bytes.count) { p throws(IEC104Error) in
            p.copyBytes(from: bytes)
            return try body(UnsafeRawBufferPointer(p))
        }.0
    }
}
