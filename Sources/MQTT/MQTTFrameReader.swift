/// Cuts a byte stream into MQTT packets: bytes go in as they arrive (any split, any number of
/// packets at once), whole decoded packets come out. Owns one buffer of `maximumPacketSize`
/// bytes allocated at start-up; a packet announcing more is refused from its fixed header, so
/// memory is bounded whatever the peer sends. A partial packet stays buffered between calls.
///
/// A packet returned by `next()` references the reader's buffer and is valid until the next
/// mutating call. After a protocol error the reader stays failed (every `next()` throws the same
/// error, offsets counted from the start of the stream) until `reset()`: the standard says to
/// close the connection.
public struct MQTTFrameReader: ~Copyable {
    let storage: UnsafeMutableRawBufferPointer
    public let maximumPacketSize: Int
    var start = 0
    var end = 0
    var pendingRelease = 0
    var failure: MQTTProtocolError? = nil
    /// Stream offset of the first buffered byte.
    public private(set) var streamOffset = 0

    /// `maximumPacketSize` counts the whole packet, fixed header included (at least 5).
    public init(maximumPacketSize: Int) {
        precondition(maximumPacketSize >= 5, "MQTTFrameReader: maximumPacketSize below 5")
        self.maximumPacketSize = maximumPacketSize
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumPacketSize, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// Bytes received but not yet returned as packets.
    public var bufferedCount: Int { end - start - pendingRelease }

    mutating func release() {
        start += pendingRelease
        streamOffset += pendingRelease
        pendingRelease = 0
        if start == end { start = 0; end = 0 }
    }

    /// Free space to receive into directly (e.g. `read(2)`); call `commit(_:)` with the count
    /// received. Never empty unless the reader has failed: a partial packet always fits.
    public mutating func writableSpace() -> UnsafeMutableRawBufferPointer {
        release()
        if start > 0 {
            let count = end - start
            if count > 0 { storage.baseAddress!.copyMemory(from: storage.baseAddress! + start, byteCount: count) }
            start = 0
            end = count
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[end..<storage.count])
    }

    /// Records that `count` bytes were written into the last `writableSpace()`.
    public mutating func commit(_ count: Int) {
        precondition(count >= 0 && end + count <= storage.count, "MQTTFrameReader.commit beyond writable space")
        end += count
    }

    /// Copies as many of `bytes` as fit; returns how many were taken (all of them unless more
    /// than a whole buffer's worth is pending: take packets out with `next()` and offer the rest).
    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        let space = writableSpace()
        let n = min(space.count, bytes.count)
        if n > 0 { space.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: n) }
        commit(n)
        return n
    }

    /// The next whole packet, or nil if more bytes are needed.
    public mutating func next() throws(MQTTProtocolError) -> MQTTPacket? {
        if let failure { throw failure }
        release()
        let available = UnsafeRawBufferPointer(rebasing: storage[start..<end])
        do {
            switch try MQTTDecoder.frame(available, maximumPacketSize: maximumPacketSize) {
            case .needMore:
                return nil
            case .complete(_, let length):
                let packet = try MQTTDecoder.decode(UnsafeRawBufferPointer(rebasing: available[0..<length]),
                                                    maximumPacketSize: maximumPacketSize)
                pendingRelease = length
                return packet
            }
        } catch {
            var e = error
            e.offset += streamOffset
            failure = e
            throw e
        }
    }

    /// Forgets everything buffered and any failure: for a new connection.
    public mutating func reset() {
        start = 0
        end = 0
        pendingRelease = 0
        streamOffset = 0
        failure = nil
    }
}
