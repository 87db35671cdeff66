// FieldBusBench: Modbus RTU polling against a wire-speed slave, printed as Markdown.
//   FieldBusBench [seconds-per-run]   (default 6)
// The slave (a thread on a pseudo-terminal pair) answers function 3 only after the request and
// its reply would have crossed a real wire at the configured baud: 11 bits a character (8E1),
// the request, a 3.5-character gap, the reply. 100 uint16 points over 4 units (25 contiguous
// registers each). Ours: BusScheduler over libmodbus (one merged read per unit, 3.5-character
// gap kept by the scheduler). Reference: the naive gateway of the issue, one libmodbus request
// per point, unit after unit, waiting out a dead unit's timeout for every point.
import CModbus
import CShim
import EdgeCore
import FieldBus
import Foundation
import TestSupport

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 6 : 6
let units: [UInt8] = [1, 2, 3, 4]
let pointsPerUnit = 25
let bitsPerChar = 11.0

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("FieldBusBench: " + message + "\n").utf8))
    exit(1)
}

/// The wire-speed slave on the master side of a pty.
final class WireSlave: @unchecked Sendable {
    let fd: Int32
    let path: String
    let baud: Double
    var dead: Set<UInt8> = []
    var running = true
    var thread: Thread?

    init(baud: Int) {
        var name = [CChar](repeating: 0, count: 128)
        fd = edge_openpty_master(&name, name.count)
        guard fd >= 0 else { fail("openpty failed") }
        _ = edge_tty_make_raw(fd, 0)
        path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.baud = Double(baud)
    }

    func wireTime(_ chars: Double) -> UInt64 { UInt64(chars * bitsPerChar / baud * 1e9) }

    func start() {
        let t = Thread { [self] in self.loop() }
        thread = t
        t.start()
    }

    func stop() {
        running = false
        usleep(200_000)
        close(fd)
    }

    func loop() {
        var buffer = [UInt8](repeating: 0, count: 512)
        var have = 0
        while running {
            if edge_poll_in(fd, 50) <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, 512 - have) }
            if n <= 0 { continue }
            have += n
            // Requests are 8 bytes (function 3); resynchronise on anything else.
            while have >= 8 {
                let frame = Array(buffer[0..<8])
                buffer.replaceSubrange(0..<8, with: [])
                buffer.append(contentsOf: [UInt8](repeating: 0, count: 8))
                have -= 8
                let crc = frame.withUnsafeBytes { CRC16.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<6])) }
                guard frame[1] == 3, UInt16(frame[6]) | UInt16(frame[7]) << 8 == crc else { have = 0; break }
                let unit = frame[0]
                if dead.contains(unit) { continue }
                let address = Int(frame[2]) << 8 | Int(frame[3])
                let count = Int(frame[4]) << 8 | Int(frame[5])
                var reply: [UInt8] = [unit, 3, UInt8(2 * count)]
                for i in 0..<count {
                    let v = UInt16(truncatingIfNeeded: Int(unit) * 1000 + address + i)
                    reply.append(UInt8(v >> 8))
                    reply.append(UInt8(v & 0xFF))
                }
                let rcrc = reply.withUnsafeBytes { CRC16.checksum($0) }
                reply.append(UInt8(rcrc & 0xFF))
                reply.append(UInt8(rcrc >> 8))
                // The request crossing the wire, the slave's 3.5-character silence, the reply.
                edge_sleep_ns(wireTime(8) + wireTime(3.5) + wireTime(Double(reply.count)))
                _ = reply.withUnsafeBytes { edge_write_all(fd, $0.baseAddress, $0.count) }
            }
        }
    }
}

struct Counts: BusEventSink {
    var good = 0
    var goodByDevice = [Int](repeating: 0, count: 4)
    mutating func deliver(_ event: BusEvent) {
        if case .sample(let s) = event, s.quality == .good {
            good += 1
            goodByDevice[s.device] += 1
        }
    }
}

func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

struct Result {
    var pointsPerSecond: Double
    var healthyPerSecond: Double
    var wireSeconds: Double
    var elapsed: Double
    var cpuPerPoint: Double
    var allocationsPerCycle: Double
}

/// Characters of one read of `n` registers on the wire: request and reply.
func frameChars(_ n: Int) -> Double { 8 + Double(5 + 2 * n) }

/// Theoretical seconds of one read: request, the slave's 3.5-character gap, reply, and the gap the
/// master must keep before its next request (3.5 characters, or the spec's 1.75 ms above 19200).
func cycleSeconds(_ n: Int, baud: Int) -> Double {
    let masterGap = baud > 19200 ? 0.00175 : 3.5 * bitsPerChar / Double(baud)
    return (frameChars(n) + 3.5) * bitsPerChar / Double(baud) + masterGap
}

func runOurs(baud: Int, deadUnit: UInt8?) -> Result {
    let slave = WireSlave(baud: baud)
    if let deadUnit { slave.dead = [deadUnit] }
    slave.start()
    defer { slave.stop() }
    let template = DeviceTemplate(name: "meter", points: (0..<pointsPerUnit).map {
        PointDefinition(identifier: "p\($0)", table: .holdingRegister, address: UInt16(100 + $0), dataType: .uint16)
    }, defaultIntervalMilliseconds: 1)
    let bus = BusDefinition(name: "bench", transport: .serial(SerialSettings(path: slave.path, baud: UInt32(baud), parity: .even)),
                            responseTimeoutMilliseconds: 500, byteTimeoutMilliseconds: 50, retries: 1, offlineAfterFailures: 2,
                            probeBackoffMinimumMilliseconds: 1000, probeBackoffMaximumMilliseconds: 30_000)
    let devices = units.map { DeviceDefinition(name: "u\($0)", template: 0, unitId: $0, bus: 0) }
    let connection: ModbusConnection
    do throws(ModbusError) { connection = try ModbusConnection(bus: bus) } catch { fail("libmodbus: \(error.description)") }
    var scheduler: BusScheduler<ModbusConnection, SystemClock>
    do throws(PlanError) {
        scheduler = try BusScheduler(bus: bus, busIndex: 0, templates: [template], devices: devices,
                                     transport: connection, clock: SystemClock())
    } catch { fail("plan") }
    var sink = Counts()
    func drive(until end: UInt64) {
        while edge_monotonic_ns() < end {
            switch scheduler.step(sink: &sink) {
            case .transacted: continue
            case .waitUntil(let t):
                let now = edge_monotonic_ns()
                if t.nanoseconds > now { edge_sleep_ns(min(t.nanoseconds - now, end > now ? end - now : 0)) }
            case .idle: edge_sleep_ns(1_000_000)
            }
        }
    }
    drive(until: edge_monotonic_ns() + 1_000_000_000)   // warm-up: open the port, take a dead unit offline
    // Allocations over a few cycles (the counter sees this thread only).
    let before = sink.good
    let allocations = AllocationCounter.count { drive(until: edge_monotonic_ns() + 500_000_000) }
    let cycles = Double(sink.good - before) / Double(pointsPerUnit * (deadUnit == nil ? 4 : 3))
    // The measured run.
    sink = Counts()
    let stats0 = scheduler.statistics
    let cpu0 = threadCPUNanoseconds()
    let t0 = edge_monotonic_ns()
    drive(until: t0 + UInt64(seconds * 1e9))
    let elapsed = Double(edge_monotonic_ns() - t0) / 1e9
    let cpu = Double(threadCPUNanoseconds() - cpu0)
    let responses = scheduler.statistics.transactions.responses - stats0.transactions.responses
    let wire = Double(responses) * frameChars(pointsPerUnit) * bitsPerChar / Double(baud)
    let healthy = units.indices.filter { units[$0] != deadUnit }.map { sink.goodByDevice[$0] }.reduce(0, +)
    return Result(pointsPerSecond: Double(sink.good) / elapsed, healthyPerSecond: Double(healthy) / elapsed,
                  wireSeconds: wire, elapsed: elapsed, cpuPerPoint: sink.good > 0 ? cpu / Double(sink.good) : 0,
                  allocationsPerCycle: cycles > 0 ? Double(allocations.allocations) / cycles : Double(allocations.allocations))
}

/// The naive gateway: one request per point, every unit in turn, no merging, no offline state.
func runReference(baud: Int, deadUnit: UInt8?) -> (pointsPerSecond: Double, healthyPerSecond: Double) {
    let slave = WireSlave(baud: baud)
    if let deadUnit { slave.dead = [deadUnit] }
    slave.start()
    defer { slave.stop() }
    guard let ctx = modbus_new_rtu(slave.path, Int32(baud), 69, 8, 1) else { fail("modbus_new_rtu") }
    defer { modbus_free(ctx) }
    modbus_set_response_timeout(ctx, 0, 500_000)
    guard modbus_connect(ctx) == 0 else { fail("modbus_connect") }
    defer { modbus_close(ctx) }
    var value: UInt16 = 0
    var good = 0
    let t0 = edge_monotonic_ns()
    let end = t0 + UInt64(seconds * 1e9)
    outer: while true {
        for unit in units {
            modbus_set_slave(ctx, Int32(unit))
            for p in 0..<pointsPerUnit {
                if edge_monotonic_ns() >= end { break outer }
                if modbus_read_registers(ctx, Int32(100 + p), 1, &value) == 1 { good += 1 }
            }
        }
    }
    let elapsed = Double(edge_monotonic_ns() - t0) / 1e9
    return (Double(good) / elapsed, Double(good) / elapsed)
}

func f(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

print("## Field bus: Modbus RTU polling, 100 points over 4 units (25 registers each), wire-speed slave, 8E1\n")
print("Limit: one 25-register read per unit, back to back: request 8 + reply 55 characters of 11 bits, the slave's 3.5-character gap, and the master's gap (3.5 characters; the spec's fixed 1.75 ms above 19200 baud).")
print("Wire utilization: time the wire carries frame characters over elapsed time (gaps count as idle).")
print("Reference: the naive gateway (one libmodbus request per point). Each run \(f(seconds, 0)) s.\n")
print("| baud | limit points/s | ours points/s | ours / limit | wire utilization | reference points/s | ours / reference | CPU µs per point | allocations per cycle |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for baud in [9600, 19200, 115200] {
    let limit = Double(pointsPerUnit) / cycleSeconds(pointsPerUnit, baud: baud)
    let ours = runOurs(baud: baud, deadUnit: nil)
    let reference = runReference(baud: baud, deadUnit: nil)
    print("| \(baud) | \(f(limit)) | \(f(ours.pointsPerSecond)) | \(f(100 * ours.pointsPerSecond / limit))% | \(f(100 * ours.wireSeconds / ours.elapsed))% | \(f(reference.pointsPerSecond)) | \(f(ours.pointsPerSecond / reference.pointsPerSecond, 2))× | \(f(ours.cpuPerPoint / 1000, 2)) | \(f(ours.allocationsPerCycle, 2)) |")
}
print("\n### One of the four units dead (9600 baud, 500 ms response timeout)\n")
print("| | healthy units' points/s, none dead | healthy units' points/s, one dead | cost of the dead unit |")
print("|---|---:|---:|---:|")
let baseline = runOurs(baud: 9600, deadUnit: nil)
let withDead = runOurs(baud: 9600, deadUnit: 4)
let healthyBaseline = baseline.pointsPerSecond * 3 / 4
print("| ours | \(f(healthyBaseline)) (3 units' share) | \(f(withDead.healthyPerSecond)) | \(f(100 * (1 - withDead.healthyPerSecond / healthyBaseline)))% (negative: the dead unit's wire time goes to the others) |")
let refBase = runReference(baud: 9600, deadUnit: nil)
let refDead = runReference(baud: 9600, deadUnit: 4)
print("| reference | \(f(refBase.pointsPerSecond * 3 / 4)) (3 units' share) | \(f(refDead.healthyPerSecond)) | \(f(100 * (1 - refDead.healthyPerSecond / (refBase.pointsPerSecond * 3 / 4))))% |")
