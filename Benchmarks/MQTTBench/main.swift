// MQTTBench: QoS 1 publishes of 200-byte payloads to a local mosquitto over TCP, our client
// side by side with Debian's `mosquitto_pub -q 1 -l` in the same run, printed as Markdown.
//   MQTTBench [messages]   (default 20000)
// Starts its own mosquitto on a free loopback port. Both tools: connect, publish every message,
// wait for every PUBACK, disconnect; in-flight window 20 for both (libmosquitto's default).
import CShim
import EdgeCore
import Foundation
import MQTT
import TLS
import CMbedTLS
import TestSupport
import CMallocCounter

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20_000 : 20_000
let payloadSize = 200

func unblockSignals() {
    var all = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_UNBLOCK, &all, nil)
}

func freePort() -> UInt16 {
    let fd = edge_tcp_listen_loopback(0)
    defer { close(fd) }
    return UInt16(edge_socket_local_port(fd))
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("MQTTBench: " + message + "\n").utf8))
    exit(1)
}

// Broker.
let port = freePort()
let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-bench-\(getpid())")
try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
let conf = dir.appendingPathComponent("mosquitto.conf")
try! "listener \(port) 127.0.0.1\nallow_anonymous true\n".write(to: conf, atomically: true, encoding: .utf8)
let broker = Process()
broker.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
broker.arguments = ["-c", conf.path]
broker.standardOutput = FileHandle.nullDevice
broker.standardError = FileHandle.nullDevice
unblockSignals()
do { try broker.run() } catch { fail("cannot start mosquitto (apt-get install mosquitto mosquitto-clients)") }
defer {
    broker.terminate()
    broker.waitUntilExit()
    try? FileManager.default.removeItem(at: dir)
}
usleep(300_000)

// Ours.
func runOurs<T: ByteStream & ~Copyable>(host: String = "127.0.0.1", port: UInt16, transport: consuming T) -> (seconds: Double, allocationsPerPublish: Double) {
    let config = MQTTSessionConfiguration(
        connect: MQTTConnectOptions(clientId: "bench-ours", cleanSession: true, keepAliveSeconds: 60),
        maximumPacketSize: 4096, outputBufferBytes: 32 * 1024, outgoingStoreBytes: 256 * 1024,
        outgoingStoreMessages: 1024, inFlightWindow: 20)
    var client = MQTTClient(host: host, port: port, configuration: config, transport: transport,
                            clock: SystemClock(), random: SplitMix64(seed: 1))
    let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: payloadSize, alignment: 8)
    payload.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "x"))
    defer { payload.deallocate() }
    let topic = "bench/ours"
    var acked = 0
    var lost = false
    let start = edge_monotonic_ns()
    while !client.session.isConnected && !lost {
        client.step(timeoutMilliseconds: 100) { event in if case .connectionLost = event { lost = true } }
    }
    if lost { fail("our client could not connect: " + (client.lastError?.description ?? "?")) }
    var published = 0
    var allocations: UInt64 = 0
    var counted = 0
    while acked < count {
        let measure = published > 1000 && counted < 5000
        let c = AllocationCounter.count {
            while published < count, case .stored = (try? client.session.publish(topic: topic.utf8, payload: UnsafeRawBufferPointer(payload), qos: .atLeastOnce)) ?? .wouldBlock {
                published += 1
                if measure { counted += 1 }
            }
            client.flush { _ in }
            client.step(timeoutMilliseconds: 100) { event in
                switch event {
                case .session(.published): acked += 1
                case .connectionLost: lost = true
                default: break
                }
            }
        }
        if measure { allocations += c.allocations }
        if lost { fail("our client lost its connection: " + (client.lastError?.description ?? "?")) }
    }
    client.session.disconnect()
    client.flush { _ in }
    let seconds = Double(edge_monotonic_ns() - start) / 1e9
    return (seconds, counted > 0 ? Double(allocations) / Double(counted) : -1)
}

// mosquitto_pub -l reading `count` lines of 200 bytes.
func runMosquittoPub(port: UInt16, extra: [String] = []) -> Double {
    let input = dir.appendingPathComponent("lines.txt")
    let line = String(repeating: "x", count: payloadSize) + "\n"
    try! String(repeating: line, count: count).write(to: input, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
    p.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-t", "bench/mosquitto_pub", "-l", "-i", "bench-ref"] + extra
    p.standardInput = try! FileHandle(forReadingFrom: input)
    p.standardOutput = FileHandle.nullDevice
    let start = edge_monotonic_ns()
    do { try p.run() } catch { fail("cannot run mosquitto_pub") }
    p.waitUntilExit()
    if p.terminationStatus != 0 { fail("mosquitto_pub exited with \(p.terminationStatus)") }
    return Double(edge_monotonic_ns() - start) / 1e9
}

func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int((value * scale).rounded())
    let whole = n / Int(scale)
    let frac = String(n % Int(scale))
    return digits == 0 ? "\(whole)" : "\(whole)." + String(repeating: "0", count: digits - frac.count) + frac
}

func bestOfThree(ours: () -> (seconds: Double, allocationsPerPublish: Double), reference: () -> Double) -> (ours: Double, reference: Double, allocations: Double) {
    _ = ours()   // warm-up
    var best = (ours: Double.infinity, reference: Double.infinity, allocations: 0.0)
    for _ in 0..<3 {
        let o = ours()
        best.ours = min(best.ours, o.seconds)
        best.allocations = max(best.allocations, o.allocationsPerPublish)
        best.reference = min(best.reference, reference())
    }
    return best
}

func printRows(_ label: String, _ r: (ours: Double, reference: Double, allocations: Double), _ referenceLabel: String) {
    print("| \(label) | edge-agent MQTT (MQTTBench) | \(fixed(r.ours, 3)) | \(fixed(Double(count) / r.ours, 0)) | \(fixed(r.reference / r.ours, 2)) | \(fixed(r.allocations, 3)) |")
    print("| \(label) | \(referenceLabel) | \(fixed(r.reference, 3)) | \(fixed(Double(count) / r.reference, 0)) | 1.00 | - |")
}

// TCP.
let tcp = bestOfThree(ours: { runOurs(port: port, transport: TCPStream()) }, reference: { runMosquittoPub(port: port) })

// TLS: certificates made with openssl, a second broker with a TLS listener requiring client
// certificates.
func openssl(_ arguments: String...) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { fail("cannot run openssl") }
    p.waitUntilExit()
    if p.terminationStatus != 0 { fail("openssl " + arguments.joined(separator: " ")) }
}
func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
try! "subjectAltName=DNS:localhost\n".write(toFile: file("san.ext"), atomically: true, encoding: .utf8)
openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", file("ca.key"), "-out", file("ca.crt"), "-days", "2", "-subj", "/CN=bench CA")
openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost")
openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file("server.crt"), "-days", "2", "-extfile", file("san.ext"))
openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", file("client.key"), "-out", file("client.csr"), "-subj", "/CN=bench client")
openssl("x509", "-req", "-in", file("client.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file("client.crt"), "-days", "2")
for name in ["ca.crt", "server.crt", "server.key"] { chmod(file(name), 0o644) }
chmod(dir.path, 0o755)
let tlsPort = freePort()
let tlsConf = dir.appendingPathComponent("tls.conf")
try! """
listener \(tlsPort) 127.0.0.1
allow_anonymous true
cafile \(file("ca.crt"))
certfile \(file("server.crt"))
keyfile \(file("server.key"))
require_certificate true
tls_version tlsv1.2

""".write(to: tlsConf, atomically: true, encoding: .utf8)
let tlsBroker = Process()
tlsBroker.executableURL = URL(fileURLWithPath: "/usr/sbin/mosquitto")
tlsBroker.arguments = ["-c", tlsConf.path]
tlsBroker.standardOutput = FileHandle.nullDevice
tlsBroker.standardError = FileHandle.nullDevice
do { try tlsBroker.run() } catch { fail("cannot start the TLS mosquitto") }
defer {
    tlsBroker.terminate()
    tlsBroker.waitUntilExit()
}
usleep(300_000)

func tlsTransport(fragment: Int? = nil) -> TLSStream {
    do {
        return try TLSStream(TLSConfiguration(caFile: file("ca.crt"), clientCertificateFile: file("client.crt"),
                                                 clientKeyFile: file("client.key"), maximumFragmentLength: fragment))
    } catch {
        fail("TLS configuration: " + error.tlsDescription)
    }
}

let tls = bestOfThree(ours: { runOurs(host: "localhost", port: tlsPort, transport: tlsTransport()) },
                      reference: { runMosquittoPub(port: tlsPort, extra: ["-h", "localhost", "--cafile", file("ca.crt"), "--cert", file("client.crt"), "--key", file("client.key")]) })

/// Connect + TLS handshake + CONNACK, and the heap the connection holds afterwards (glibc
/// mallinfo2: bytes in use after minus before creating the transport), averaged over 10 connects.
func handshake(fragment: Int?) -> (milliseconds: Double, heapBytes: Int, configurationBytes: Int) {
    var totalNs: UInt64 = 0
    var heap = 0
    var configuration = 0
    let runs = 10
    for _ in 0..<runs {
        let before = Int(edge_heap_in_use())
        let start = edge_monotonic_ns()
        var transport = tlsTransport(fragment: fragment)
        let afterInit = Int(edge_heap_in_use()) - before
        configuration = configuration == 0 ? afterInit : min(configuration, afterInit)
        var done = false
        do {
            try transport.open(host: "localhost", port: tlsPort)
            while !done {
                var revents: Int16 = 0
                _ = edge_poll_one(transport.descriptor, transport.pollEvents(wantWrite: false), 1000, &revents)
                done = try transport.advance(revents: revents)
            }
        } catch {
            fail("handshake: " + error.tlsDescription)
        }
        totalNs += edge_monotonic_ns() - start
        // The least of the runs: the first one also pays one-time resolver/NSS set-up.
        let held = Int(edge_heap_in_use()) - before
        heap = heap == 0 ? held : min(heap, held)
        transport.close()
    }
    return (Double(totalNs) / Double(runs) / 1e6, heap, configuration)
}
let h16 = handshake(fragment: nil)
let h4 = handshake(fragment: 4096)

print("## MQTT QoS 1 publish throughput (local mosquitto)")
print("")
print("\(count) QoS 1 messages of \(payloadSize) bytes each, connect to last PUBACK, in-flight window 20 for both clients, best of 3 alternating runs (after a warm-up). TLS: TLS 1.2, RSA-2048 server and client certificates, broker with `require_certificate true`.")
print("")
print("| transport | client | seconds | messages/s | ratio to mosquitto_pub | allocations per publish |")
print("|---|---|---:|---:|---:|---:|")
printRows("TCP", tcp, "mosquitto_pub -q 1 -l")
printRows("TLS", tls, "mosquitto_pub -q 1 -l --cafile --cert --key")
print("")
print("Allocations per publish: steady state (publish + flush + step), counted from the 1001st publish on, up to 5000 publishes.")
print("")
print("## MQTT TLS connection cost (mbedTLS \(mbedTLSVersion()))")
print("")
print("| record size asked (max_fragment_length) | TCP connect + TLS handshake, ms (mean of 10) | heap held by the TLS transport after the handshake, bytes | of which configuration (CA, client certificate and key, RNG, contexts) |")
print("|---|---:|---:|---:|")
print("| 16 KB (none) | \(fixed(h16.milliseconds, 2)) | \(h16.heapBytes) | \(h16.configurationBytes) |")
print("| 4 KB | \(fixed(h4.milliseconds, 2)) | \(h4.heapBytes) | \(h4.configurationBytes) |")
print("")
print("The heap figure depends on MBEDTLS_SSL_IN/OUT_CONTENT_LEN of the mbedTLS build (Debian's: 16 KB each, so max_fragment_length alone cannot shrink it here); the firmware's mbedTLS build sets them.")

func mbedTLSVersion() -> String {
    var buffer = [CChar](repeating: 0, count: 32)
    mbedtls_version_get_string(&buffer)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Tests/CMallocCounter/HeapInUse.c (glibc mallinfo2().uordblks).
@_silgen_name("edge_heap_in_use") func edge_heap_in_use() -> Int
