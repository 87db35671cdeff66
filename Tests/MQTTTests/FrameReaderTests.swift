import MQTT
import Testing

/// The frame reader cuts any split or coalescing of the stream into the same packets, keeps its
/// place across partial reads, and refuses bad or oversized input without growing.
@Suite struct FrameReaderTests {
    static func stream() throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes += try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.connack(MQTTConnack(sessionPresent: true, returnCode: .accepted), into: b) }
        for i in 1...20 {
            bytes += try PacketBytes.encode { b throws(MQTTEncodeError) in
                try MQTTEncoder.publish(topic: "t/\(i)".utf8, payload: [UInt8](repeating: UInt8(i), count: i * 13), qos: .atLeastOnce, packetId: UInt16(i), into: b)
            }
            bytes += try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.acknowledgement(.puback, packetId: UInt16(i), into: b) }
        }
        bytes += try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.headerOnly(.pingresp, into: b) }
        return bytes
    }

    /// Summaries of the packets read when the stream arrives in chunks of the given sizes.
    static func read(_ bytes: [UInt8], chunks: (Int) -> Int) throws -> [String] {
        var reader = MQTTFrameReader(maximumPacketSize: 512)
        var out: [String] = []
        var offset = 0
        var call = 0
        while offset < bytes.count {
            let n = min(chunks(call), bytes.count - offset)
            call += 1
            var taken = 0
            while taken < n {
                taken += bytes[(offset + taken)..<(offset + n)].withUnsafeBytes { reader.append($0) }
                while let packet = try reader.next() { out.append(summary(packet)) }
            }
            offset += n
        }
        #expect(reader.bufferedCount == 0)
        return out
    }

    static func summary(_ packet: MQTTPacket) -> String {
        switch packet {
        case .publish(let p): return "P \(text(p.topic)!) \(p.packetId) \(p.payload.count) \(p.payload.first ?? 0)"
        case .puback(let id): return "A \(id)"
        case .connack(let c): return "C \(c.sessionPresent)"
        default: return "\(packet.type.name)"
        }
    }

    @Test func everySplitYieldsTheSamePackets() throws {
        let bytes = try Self.stream()
        let whole = try Self.read(bytes) { _ in bytes.count }
        #expect(whole.count == 42)
        #expect(whole[1] == "P t/1 1 13 1")
        #expect(whole.last == "PINGRESP")
        #expect(try Self.read(bytes) { _ in 1 } == whole)
        #expect(try Self.read(bytes) { _ in 2 } == whole)
        #expect(try Self.read(bytes) { $0 % 7 + 1 } == whole)
        #expect(try Self.read(bytes) { $0 % 2 == 0 ? 300 : 3 } == whole)
        var seed: UInt64 = 42
        #expect(try Self.read(bytes) { _ in seed = seed &* 6364136223846793005 &+ 1; return Int(seed >> 33) % 700 + 1 } == whole)
    }

    @Test func readsStraightIntoWritableSpace() throws {
        let bytes = try Self.stream()
        var reader = MQTTFrameReader(maximumPacketSize: 512)
        var count = 0
        var offset = 0
        while offset < bytes.count {
            let space = reader.writableSpace()
            let n = min(space.count, bytes.count - offset, 100)
            bytes[offset..<(offset + n)].withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
            reader.commit(n)
            offset += n
            while try reader.next() != nil { count += 1 }
        }
        #expect(count == 42)
    }

    @Test func oversizedPacketIsRefusedFromItsHeaderWithStreamOffset() throws {
        var reader = MQTTFrameReader(maximumPacketSize: 64)
        let good: [UInt8] = [0xD0, 0x00]               // PINGRESP
        let huge: [UInt8] = [0x30, 0xFF, 0xFF, 0x7F]    // PUBLISH announcing 2 MB
        _ = (good + huge).withUnsafeBytes { reader.append($0) }
        #expect(try reader.next()?.type == .pingresp)
        #expect(throws: MQTTProtocolError(.packetTooLarge, at: 3, packetType: 3)) { try reader.next() }
        // Stays failed until reset.
        #expect(throws: MQTTProtocolError(.packetTooLarge, at: 3, packetType: 3)) { try reader.next() }
        reader.reset()
        _ = good.withUnsafeBytes { reader.append($0) }
        #expect(try reader.next()?.type == .pingresp)
    }

    @Test func malformedPacketMidStreamReportsItsStreamOffset() throws {
        var reader = MQTTFrameReader(maximumPacketSize: 64)
        let bytes: [UInt8] = [0x40, 2, 0, 1, 0x40, 2, 0, 0]   // PUBACK 1, then PUBACK 0
        _ = bytes.withUnsafeBytes { reader.append($0) }
        #expect(try reader.next()?.type == .puback)
        #expect(throws: MQTTProtocolError(.zeroPacketId, at: 6, packetType: 4)) { try reader.next() }
    }

    @Test func partialPacketWaitsForTheRest() throws {
        var reader = MQTTFrameReader(maximumPacketSize: 64)
        let bytes: [UInt8] = [0x30, 4, 0, 1, 0x61, 0x62]
        _ = bytes[0..<3].withUnsafeBytes { reader.append($0) }
        #expect(try reader.next() == nil)
        #expect(reader.bufferedCount == 3)
        _ = bytes[3...].withUnsafeBytes { reader.append($0) }
        guard case .publish(let p)? = try reader.next() else { Issue.record("no PUBLISH"); return }
        #expect(text(p.topic) == "a" && text(p.payload) == "b")
    }
}
