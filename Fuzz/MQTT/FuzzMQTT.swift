// libFuzzer target for the MQTT decoder: compiled together with Sources/MQTT/*.swift by
// Fuzz/run.sh (swiftc -sanitize=fuzzer,address). Properties checked on every input:
//  1. decoding never crashes, whatever the bytes;
//  2. the decoder is strict enough to be canonical: a packet that decodes re-encodes to exactly
//     the same bytes;
//  3. the frame reader fed the same bytes in arbitrary chunks never crashes and agrees with
//     decoding packet by packet;
//  4. a connected session handed whatever the reader yields never crashes.
import EdgeCore

let maximumPacketSize = 4096

func reencode(_ packet: MQTTPacket, into out: UnsafeMutableRawBufferPointer) -> Int? {
    do throws(MQTTEncodeError) {
        switch packet {
        case .publish(let p):
            return try MQTTEncoder.publish(topic: p.topic, payload: p.payload, qos: p.qos, packetId: p.packetId,
                                           dup: p.dup, retain: p.retain, into: out)
        case .connack(let c):
            return try MQTTEncoder.connack(c, into: out)
        case .puback(let id): return try MQTTEncoder.acknowledgement(.puback, packetId: id, into: out)
        case .pubrec(let id): return try MQTTEncoder.acknowledgement(.pubrec, packetId: id, into: out)
        case .pubrel(let id): return try MQTTEncoder.acknowledgement(.pubrel, packetId: id, into: out)
        case .pubcomp(let id): return try MQTTEncoder.acknowledgement(.pubcomp, packetId: id, into: out)
        case .unsuback(let id): return try MQTTEncoder.acknowledgement(.unsuback, packetId: id, into: out)
        case .suback(let s): return try MQTTEncoder.suback(packetId: s.packetId, returnCodes: s.returnCodes, into: out)
        case .pingreq: return try MQTTEncoder.headerOnly(.pingreq, into: out)
        case .pingresp: return try MQTTEncoder.headerOnly(.pingresp, into: out)
        case .disconnect: return try MQTTEncoder.headerOnly(.disconnect, into: out)
        case .subscribe(let s):
            var count = 0
            for entry in s { count += entry.filter.count }   // walk the iterator
            _ = count
            return nil
        case .unsubscribe(let u):
            var count = 0
            for filter in u { count += filter.count }
            _ = count
            return nil
        case .connect:
            return nil
        }
    } catch {
        fatalError("decoded packet does not re-encode: " + error.description)
    }
}

let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumPacketSize + 8, alignment: 8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMQTTDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)

    // 1 + 2: the whole input as one packet.
    if let packet = try? MQTTDecoder.decode(input, maximumPacketSize: maximumPacketSize),
       let n = reencode(packet, into: scratch) {
        if n != input.count || !UnsafeRawBufferPointer(rebasing: scratch[0..<n]).elementsEqual(input) {
            fatalError("re-encoded packet differs from its input")
        }
    }

    // 3 + 4: the input as a stream, in chunks sized from its own bytes, into a connected session.
    var reader = MQTTFrameReader(maximumPacketSize: maximumPacketSize)
    let clock = ManualClock()
    var session = MQTTSession(
        configuration: MQTTSessionConfiguration(connect: MQTTConnectOptions(clientId: "fuzz"), maximumPacketSize: maximumPacketSize,
                                                outputBufferBytes: 256, outgoingStoreBytes: 1024, outgoingStoreMessages: 8, inFlightWindow: 4),
        clock: clock, random: SplitMix64(seed: 1))
    _ = session.poll()
    session.connectionOpened()
    session.outputWritten(session.pendingOutput.count)
    let connack: [UInt8] = [0x20, 2, 0, 0]
    connack.withUnsafeBytes { raw in
        if let p = try? MQTTDecoder.decode(raw) { _ = try? session.receive(p) }
    }
    _ = try? session.publish(topic: "t".utf8, payload: "x".utf8, qos: .atLeastOnce)

    var offset = 0
    var failed = false
    while offset < size && !failed {
        let chunk = min(size - offset, Int(input[offset] % 64) + 1)
        var taken = 0
        while taken < chunk && !failed {
            taken += reader.append(UnsafeRawBufferPointer(rebasing: input[(offset + taken)..<(offset + chunk)]))
            while true {
                let packet: MQTTPacket?
                do { packet = try reader.next() } catch { failed = true; break }
                guard let packet else { break }
                if !session.canReceive { session.outputWritten(session.pendingOutput.count) }
                if (try? session.receive(packet)) == nil {
                    session.connectionClosed()
                    _ = session.poll()
                    clock.advance(milliseconds: 200_000)
                    _ = session.poll()
                    session.connectionOpened()
                    session.outputWritten(session.pendingOutput.count)
                    connack.withUnsafeBytes { raw in
                        if let p = try? MQTTDecoder.decode(raw) { _ = try? session.receive(p) }
                    }
                }
            }
        }
        offset += chunk
    }
    return 0
}
