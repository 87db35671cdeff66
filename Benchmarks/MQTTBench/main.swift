// MQTTBench: QoS 1 publishes of 200-byte payloads to a local mosquitto over TCP, our client
// side by side with Debian's `mosquitto_pub -q 1 -l` in the same run, printed as Markdown.
//   MQTTBench [messages]   (default 20000)
// Starts its own mosquitto on a free loopback port. Both tools: connect, publish every message,
// wait for every PUBACK, disconnect; in-flight window 20 for both (libmosquitto's default).
import CShim
import EdgeCore
import Foundation
import MQTT
import TestSupport

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
func runOurs() -> (seconds: Double, allocationsPerPublish: Double) {
    let config = MQTTSessionConfiguration(
        connect: MQTTConnectOptions(clientId: "bench-ours", cleanSession: true, keepAliveSeconds: 60),
        maximumPacketSize: 4096, outputBufferBytes: 32 * 1024, outgoingStoreBytes: 256 * 1024,
        outgoingStoreMessages: 1024, inFlightWindow: 20)
    var client = MQTTClient(host: "127.0.0.1", port: port, configuration: config, transport: TCPTransport(),
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
func runMosquittoPub() -> Double {
    let input = dir.appendingPathComponent("lines.txt")
    let line = String(repeating: "x", count: payloadSize) + "\n"
    try! String(repeating: line, count: count).write(to: input, atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
    p.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-t", "bench/mosquitto_pub", "-l", "-i", "bench-ref"]
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

// Warm-up, then alternate the two tools three times and keep each one's best.
_ = runOurs()
var ours = Double.infinity
var reference = Double.infinity
var allocs = 0.0
for _ in 0..<3 {
    let o = runOurs()
    ours = min(ours, o.seconds)
    allocs = max(allocs, o.allocationsPerPublish)
    reference = min(reference, runMosquittoPub())
}
print("## MQTT QoS 1 publish throughput (TCP, local mosquitto)")
print("")
print("\(count) QoS 1 messages of \(payloadSize) bytes each, connect to last PUBACK, in-flight window 20, best of 3 alternating runs.")
print("")
print("| client | seconds | messages/s | ratio to mosquitto_pub |")
print("|---|---:|---:|---:|")
print("| edge-agent MQTT (MQTTBench) | \(fixed(ours, 3)) | \(fixed(Double(count) / ours, 0)) | \(fixed(reference / ours, 2)) |")
print("| mosquitto_pub -q 1 -l | \(fixed(reference, 3)) | \(fixed(Double(count) / reference, 0)) | 1.00 |")
print("")
print("Allocations per QoS 1 publish in the steady state (publish + flush + step, counted from the 1001st publish on, up to 5000 publishes): \(fixed(allocs, 3))")
