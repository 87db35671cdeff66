// Firmware benchmark (not shipped): the RAM one MQTT-over-TLS connection costs on the firmware
// build, with the firmware's own mbedTLS configuration (Toolchain/mbedtls-firmware.conf).
// Linked like the firmware plus heap_counter.c (malloc wrapped); run under qemu by
// Tools/bench.d/40-mqtt.sh against a local mosquitto with TLS:
//   tls-memory CA CERT KEY HOST PORT FRAGMENT(0 = none) RUNS TOPIC
// For each run: the TLSStream is created (CA, client certificate and key parsed, RNG seeded),
// connected (TCP + TLS 1.2 handshake), an MQTT CONNECT is sent and the CONNACK read, TOPIC is
// subscribed and the broker's retained message on it received whole (the script makes it 12 KB,
// so the broker sends records as large as the negotiated size allows), a 200-byte QoS 0 PUBLISH
// sent; then the heap in use is read, and the peaks. Prints one `tls-memory:` line per run with
// bytes relative to the heap before the transport was created.
import CShim
import EdgeCore
import MQTT
import TLS

@_silgen_name("edge_bench_heap_in_use") func heapInUse() -> Int
@_silgen_name("edge_bench_heap_peak") func heapPeak() -> Int
@_silgen_name("edge_bench_heap_reset_peak") func heapResetPeak()

func argument(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ i: Int) -> String {
    String(cString: argv[i]!)
}

func fail(_ text: String) -> Int32 {
    print("tls-memory: FAILED: " + text)
    return 1
}

/// Waits (poll, at most 10 s in all) until `step` returns true.
func pump(_ transport: inout TLSStream, wantWrite: Bool, _ step: (inout TLSStream, Int16) throws(ByteStreamError) -> Bool) throws(ByteStreamError) -> Bool {
    let deadline = edge_monotonic_ns() + 10_000_000_000
    var revents: Int16 = 0
    while edge_monotonic_ns() < deadline {
        if try step(&transport, revents) { return true }
        revents = 0
        if !transport.hasBufferedInput {
            _ = edge_poll_one(transport.descriptor, transport.pollEvents(wantWrite: wantWrite), 200, &revents)
        }
    }
    return false
}

func sendAll(_ transport: inout TLSStream, _ bytes: [UInt8]) throws(ByteStreamError) -> Bool {
    var sent = 0
    return try pump(&transport, wantWrite: true) { (t: inout TLSStream, _: Int16) throws(ByteStreamError) -> Bool in
        let result: Result<Int, ByteStreamError> = bytes.withUnsafeBytes { b in
            do throws(ByteStreamError) {
                return .success(try t.send(UnsafeRawBufferPointer(rebasing: b[sent...])))
            } catch { return .failure(error) }
        }
        sent += try result.get()
        return sent == bytes.count
    }
}

@_cdecl("main")
func tlsMemoryMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    guard argc == 9 else { return fail("usage: tls-memory CA CERT KEY HOST PORT FRAGMENT RUNS TOPIC") }
    let topic = Array(argument(argv, 8).utf8)
    let host = argument(argv, 4)
    guard let port = UInt16(argument(argv, 5)), let fragment = Int(argument(argv, 6)),
          let runs = Int(argument(argv, 7)) else { return fail("bad PORT, FRAGMENT or RUNS") }
    let configuration = TLSConfiguration(caFile: argument(argv, 1), clientCertificateFile: argument(argv, 2),
                                         clientKeyFile: argument(argv, 3),
                                         maximumFragmentLength: fragment == 0 ? nil : fragment)
    // MQTT 3.1.1 CONNECT, clean session, keepalive 60 s, empty client id; a QoS 0 PUBLISH of 200 bytes.
    let connect: [UInt8] = [0x10, 12, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, 0]
    var publish: [UInt8] = [0x30, 207, 1, 0, 5, 0x62, 0x65, 0x6E, 0x63, 0x68]
    publish.append(contentsOf: [UInt8](repeating: 0x41, count: 200))
    var connack: [UInt8] = [0, 0, 0, 0]
    // SUBSCRIBE (packet id 1, QoS 0) to TOPIC.
    var subscribe: [UInt8] = [0x82, UInt8(2 + 2 + topic.count + 1), 0, 1, 0, UInt8(topic.count)]
    subscribe.append(contentsOf: topic)
    subscribe.append(0)
    // Receive buffer, allocated before the heap is first read (not part of the connection).
    var chunk = [UInt8](repeating: 0, count: 1024)

    for run in 0..<runs {
        let base = heapInUse()
        heapResetPeak()
        let created: TLSStream
        do throws(ByteStreamError) { created = try TLSStream(configuration) }
        catch { return fail("configuration: " + error.tlsDescription) }
        var transport = created
        let configured = heapInUse() - base
        let start = edge_monotonic_ns()
        do throws(ByteStreamError) {
            try transport.open(host: host, port: port)
            guard try pump(&transport, wantWrite: false, { (t: inout TLSStream, revents: Int16) throws(ByteStreamError) -> Bool in
                try t.advance(revents: revents)
            }) else { return fail("handshake timed out") }
            let handshakeNs = edge_monotonic_ns() - start
            let handshakePeak = heapPeak() - base
            guard try sendAll(&transport, connect) else { return fail("CONNECT not sent") }
            var got = 0
            guard try pump(&transport, wantWrite: false, { (t: inout TLSStream, _: Int16) throws(ByteStreamError) -> Bool in
                let result: Result<Int, ByteStreamError> = connack.withUnsafeMutableBytes { b in
                    do throws(ByteStreamError) {
                        return .success(try t.receive(into: UnsafeMutableRawBufferPointer(rebasing: b[got...])))
                    } catch { return .failure(error) }
                }
                got += try result.get()
                return got == 4
            }) else { return fail("no CONNACK") }
            if connack[0] != 0x20 || connack[3] != 0 { return fail("CONNACK refused: \(connack[3])") }
            guard try sendAll(&transport, subscribe) else { return fail("SUBSCRIBE not sent") }
            // SUBACK (5 bytes), then the retained PUBLISH: fixed header, remaining length, body.
            var reader = PacketReader()
            guard try pump(&transport, wantWrite: false, { (t: inout TLSStream, _: Int16) throws(ByteStreamError) -> Bool in
                let result: Result<Int, ByteStreamError> = chunk.withUnsafeMutableBytes { b in
                    do throws(ByteStreamError) { return .success(try t.receive(into: b)) } catch { return .failure(error) }
                }
                let n = try result.get()
                for i in 0..<n { reader.take(chunk[i]) }
                return reader.publishBodyBytes > 0 && reader.done
            }) else { return fail("no retained message on the subscribed topic (\(reader.publishBodyBytes) bytes so far)") }
            guard try sendAll(&transport, publish) else { return fail("PUBLISH not sent") }
            let held = heapInUse() - base
            print("tls-memory: run=\(run) fragment=\(fragment) configuration=\(configured) held=\(held) handshake_peak=\(handshakePeak) overall_peak=\(heapPeak() - base) record_out=\(transport.maximumOutgoingRecordPayload) received=\(reader.publishBodyBytes) handshake_us=\(handshakeNs / 1000)")
        } catch {
            return fail("connection: " + error.tlsDescription)
        }
        transport.close()
    }
    return 0
}

/// Just enough MQTT framing to skip packets byte by byte: counts the body of the first PUBLISH.
struct PacketReader {
    var header: UInt8 = 0
    var state = 0  // 0: header byte, 1: remaining length, 2: body
    var remaining = 0
    var shift = 0
    var publishBodyBytes = 0
    var done = false

    mutating func take(_ byte: UInt8) {
        switch state {
        case 0:
            header = byte
            remaining = 0
            shift = 0
            state = 1
        case 1:
            remaining |= Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { state = remaining == 0 ? 0 : 2 }
        default:
            if header >> 4 == 3 && !done { publishBodyBytes += 1 }
            remaining -= 1
            if remaining == 0 {
                state = 0
                if header >> 4 == 3 { done = true }
            }
        }
    }
}
