// OTABench: the measured, in-process half of Tools/bench.d/50-ota.sh (the script prepares keys,
// images, certificates, the U-Boot environment and the HTTP(S) server, and writes the Markdown).
//
//   OTABench install --env-config F --slots F --key KEY.der --url URL --md5 HEX --size N [--ca CA.pem]
//       one cloud-ordered upgrade through UpgradeJob driven by a poll(2) loop, booted slot A;
//       prints: seconds=S heap_peak=B transport_heap=B polls=N longest_poll_ms=M
//   OTABench verify --key KEY.der IMAGE
//       the image read from a file into FirmwareImageReader (SHA-256 + ECDSA P-256);
//       prints: seconds=S heap_peak=B
//
// heap_peak: the most heap in use (glibc mallinfo2, sampled after every poll / chunk) above what
// was in use just before the upgrade or verification started: the job's own memory (chunk
// buffer, HTTP head buffer, image reader, digest contexts, the slot and environment), plus the
// TLS session for https.
import CShim
import EdgeCore
import EdgeCrypto
import Foundation
import TLS
import OTA

@_silgen_name("edge_heap_in_use") func edge_heap_in_use() -> Int

func fail(_ text: String) -> Never {
    FileHandle.standardError.write(Data("OTABench: \(text)\n".utf8))
    exit(1)
}

var options: [String: String] = [:]
var positional: [String] = []
let args = Array(CommandLine.arguments.dropFirst())
var i = 1
while i < args.count {
    if args[i].hasPrefix("--"), i + 1 < args.count {
        options[args[i]] = args[i + 1]
        i += 2
    } else {
        positional.append(args[i])
        i += 1
    }
}

func loadKey(_ path: String) -> ECDSAPublicKey {
    guard let der = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    let bytes = Array(der)
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
    defer { buffer.deallocate() }
    bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    do throws(CryptoError) { return try ECDSAPublicKey(der: UnsafeRawBufferPointer(buffer)) } catch { fail("key: \(error.description)") }
}

let clock = SystemClock()

@MainActor func install<T: ByteStream & ~Copyable>(transport: consuming T, isTLS: Bool, transportHeap: Int = 0) {
    guard let envPath = options["--env-config"], let slotsPath = options["--slots"], let keyPath = options["--key"],
          let url = options["--url"], let md5 = options["--md5"], let size = options["--size"].flatMap(UInt64.init) else {
        fail("install: missing options")
    }
    let key = loadKey(keyPath)
    let config: BootEnvironmentConfig
    do throws(BootEnvironmentError) { config = try BootEnvironmentConfig.load(path: envPath) } catch { fail(error.description) }
    var env = BootEnvironment(config: config, storage: FileEnvironmentStorage(config: config))
    do throws(BootEnvironmentError) { try env.load() } catch { fail(error.description) }
    let slots: SlotSet
    do throws(SlotError) { slots = try SlotSet.load(path: slotsPath) } catch { fail(error.description) }
    let order: UpgradeOrder
    do throws(FirmwareImageError) {
        order = try UpgradeOrder(version: "9.9.9", fileURL: url, fileSize: size, sign: md5, signMethod: "md5")
    } catch { fail(error.description) }
    let baseline = edge_heap_in_use()
    var peak = 0
    let start = clock.monotonicNow()
    var job: UpgradeJob<T>
    do throws(SlotError) {
        job = try UpgradeJob.start(order: order, transport: transport, isTLS: isTLS, environment: &env, slots: slots,
                                   booted: BootedSlot(slot: .a, source: .commandLine), key: key, board: "bench",
                                   running: FirmwareVersion("1.0")!, settings: UpgradeSettings(progressInterval: 1000),
                                   now: start, progress: { _ in })
    } catch { fail(error.description) }
    var revents: Int16 = 0
    var polls = 0
    var longest: UInt64 = 0
    loop: while true {
        let before = clock.monotonicNow()
        let state = job.poll(revents: revents, now: before, environment: &env) { _ in }
        let after = clock.monotonicNow()
        polls += 1
        longest = max(longest, after.nanoseconds(since: before))
        peak = max(peak, edge_heap_in_use() - baseline)
        revents = 0
        switch state {
        case .working: continue
        case .waiting(let events, let until):
            let ms = until > after ? min(until.nanoseconds(since: after) / 1_000_000 + 1, 1000) : 0
            var p = pollfd(fd: job.descriptor, events: events, revents: 0)
            if poll(&p, 1, Int32(ms)) > 0 { revents = p.revents }
        case .activated: break loop
        case .failed(let report): fail("install failed: \(report.stepText) \(report.desc)")
        }
    }
    let seconds = Double(clock.monotonicNow().nanoseconds(since: start)) / 1e9
    print("seconds=\(seconds) heap_peak=\(peak) transport_heap=\(transportHeap) polls=\(polls) longest_poll_ms=\(Double(longest) / 1e6)")
}

@MainActor func verify() {
    guard let keyPath = options["--key"], let path = positional.first else { fail("verify: --key KEY IMAGE") }
    let key = loadKey(keyPath)
    let fd: FileDescriptor
    do throws(Errno) { fd = try FileDescriptor.open(path, flags: O_RDONLY) } catch { fail("\(path): \(error.message)") }
    let baseline = edge_heap_in_use()
    var peak = 0
    let start = clock.monotonicNow()
    let policy = FirmwareImagePolicy(board: "bench", runningVersion: FirmwareVersion("1.0")!, maxPayloadLength: UInt64.max)
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 16)
    defer { chunk.deallocate() }
    var reader = FirmwareImageReader()
    var sink = DiscardingPayloadSink()
    while true {
        let n: Int
        do throws(Errno) { n = try fd.read(into: chunk) } catch { fail(error.message) }
        if n == 0 { break }
        do throws(FirmwareImageError) { try reader.feed(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), policy: policy, into: &sink) } catch {
            fail(error.description)
        }
        peak = max(peak, edge_heap_in_use() - baseline)
    }
    do throws(FirmwareImageError) { _ = try reader.finish(key: key) } catch { fail(error.description) }
    let seconds = Double(clock.monotonicNow().nanoseconds(since: start)) / 1e9
    print("seconds=\(seconds) heap_peak=\(peak)")
}

switch args.first {
case "install":
    if let ca = options["--ca"] {
        // The TLS transport's configuration and record buffers are allocated with it, before
        // the upgrade starts: measured here, reported apart (transport_heap).
        let before = edge_heap_in_use()
        let tls: TLSStream
        do throws(ByteStreamError) { tls = try TLSStream(TLSConfiguration(caFile: ca)) } catch { fail("TLS: \(error.description)") }
        install(transport: tls, isTLS: true, transportHeap: edge_heap_in_use() - before)
    } else {
        install(transport: TCPStream(), isTLS: false)
    }
case "verify":
    verify()
default:
    fail("usage: OTABench install … | verify …")
}
