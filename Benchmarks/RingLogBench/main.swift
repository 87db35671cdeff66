// RingLogBench: the ring log's figures from issue 3, printed as a Markdown table for
// BENCHMARKS.md (`make bench`). Host-only (Foundation allowed). Each figure sits next to a
// reference: the same bytes appended to a plain file with write(2) and the same fdatasync
// cadence (what a naive logger does, with no framing, no CRC, no flash rules, no recovery).
import CShim
import EdgeCore
import Foundation
import RingLog
import TestSupport

let mib = 1 << 20
let logSize = 64 * mib
let sectorSize = 64 * 1024
let runSeconds = Double(ProcessInfo.processInfo.environment["RINGLOG_BENCH_SECONDS"] ?? "") ?? 1.0
let directory = ProcessInfo.processInfo.environment["RINGLOG_BENCH_DIR"] ?? NSTemporaryDirectory()

func seconds(_ start: UInt64) -> Double { Double(edge_monotonic_ns() - start) / 1e9 }

func options() -> RingLogOptions {
    var o = RingLogOptions()
    o.writeBufferSize = 64 * 1024
    o.syncIntervalMilliseconds = 100
    o.checkpointEveryAcknowledgements = 64
    o.checkpointIntervalMilliseconds = 1_000
    return o
}

struct Run {
    var appends = 0
    var seconds = 0.0
    var payloadBytes = 0
    var programmed: UInt64 = 0
    var checkpoints: UInt64 = 0
    var erases: UInt64 = 0
    var allocations: UInt64 = 0
    var appendsPerSecond: Double { Double(appends) / seconds }
    var megabytesPerSecond: Double { Double(payloadBytes) / seconds / Double(mib) }
    var amplification: Double { Double(programmed) / Double(payloadBytes) }
    /// On a file, an erase is a write of 0xFF over the sector: bytes reaching the file.
    var fileAmplification: Double { Double(programmed + erases * UInt64(sectorSize)) / Double(payloadBytes) }
}

/// Appends `size`-byte records for about `runSeconds`, syncing every 100 ms on the system clock;
/// a consumer acknowledges up to the durable end every 1024 appends (checkpoints included).
func measure<D: FlashDevice & ~Copyable>(_ log: inout RingLog<D, SystemClock>, size: Int) -> Run {
    let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
    defer { payload.deallocate() }
    for i in 0..<size { payload[i] = UInt8(truncatingIfNeeded: i &* 31) }
    let bytes = UnsafeRawBufferPointer(payload)
    var run = Run()
    var failure: String?
    func batch(_ n: Int) {
        do throws(RingLogError) {
            for i in 0..<n {
                try log.append(bytes)
                if i & 1023 == 1023, let d = log.durableSequence, d > log.acknowledgedSequence {
                    try log.acknowledge(upTo: d)
                }
            }
        } catch { failure = error.message }
    }
    batch(1024)  // warm up
    let before = log.statistics()
    let start = edge_monotonic_ns()
    var counted: UInt64 = 0
    while seconds(start) < runSeconds && failure == nil {
        counted += AllocationCounter.count { batch(4096) }.allocations
        run.appends += 4096
    }
    do throws(RingLogError) { try log.sync() } catch { failure = error.message }
    run.seconds = seconds(start)
    if let failure { fatalError("ring log failed: \(failure)") }
    let after = log.statistics()
    run.payloadBytes = run.appends * size
    run.programmed = after.bytesProgrammed - before.bytesProgrammed
    run.checkpoints = after.checkpointsWritten - before.checkpointsWritten
    run.erases = after.erasesSinceOpen - before.erasesSinceOpen
    run.allocations = counted
    return run
}

/// The reference: write(2) of the raw payloads to a plain file, fdatasync every 100 ms.
func reference(size: Int, path: String) -> Run {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0)
    defer { close(fd); unlink(path) }
    let payload = [UInt8](repeating: 0x5A, count: size)
    var run = Run()
    let start = edge_monotonic_ns()
    var lastSync = start
    var written = 0
    payload.withUnsafeBytes { raw in
        while seconds(start) < runSeconds {
            for _ in 0..<4096 {
                _ = write(fd, raw.baseAddress, size)
                written += size
                if written >= logSize { lseek(fd, 0, SEEK_SET); written = 0 }
            }
            run.appends += 4096
            let now = edge_monotonic_ns()
            if now - lastSync >= 100_000_000 { fdatasync(fd); lastSync = now }
        }
    }
    fdatasync(fd)
    run.seconds = seconds(start)
    run.payloadBytes = run.appends * size
    run.programmed = UInt64(run.payloadBytes)
    return run
}

func memoryLog() -> RingLog<MemoryFlashDevice, SystemClock> {
    let device = MemoryFlashDevice(geometry: FlashGeometry(size: logSize, sectorSize: sectorSize))
    do throws(RingLogError) { return try RingLog(device: device, clock: SystemClock(), options: options()) } catch {
        fatalError(error.message)
    }
}

func fileLog(_ path: String) -> RingLog<FileFlashDevice, SystemClock> {
    unlink(path)
    do {
        var device = try FileFlashDevice(path: path, geometry: FlashGeometry(size: logSize, sectorSize: sectorSize), createOrResize: true)
        try RingLog<FileFlashDevice, SystemClock>.format(&device, wall: SystemClock().wallNow())
        return try RingLog(device: device, clock: SystemClock(), options: options())
    } catch {
        fatalError("\(error)")
    }
}

func f(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

nonisolated(unsafe) var rows: [String] = []
func row(_ cells: String...) { rows.append("| " + cells.joined(separator: " | ") + " |") }

let filePath = (directory as NSString).appendingPathComponent("ringlog-bench-\(getpid()).log")
let referencePath = (directory as NSString).appendingPathComponent("ringlog-bench-\(getpid()).ref")
defer { unlink(filePath) }

for size in [64, 512] {
    var memory = memoryLog()
    let m = measure(&memory, size: size)
    row("append \(size) B, memory device, sync/100 ms", "\(f(m.appendsPerSecond)) appends/s, \(f(m.megabytesPerSecond, 1)) MB/s",
        "write amplification \(f(m.amplification, 3)) (headers, \(m.checkpoints) checkpoint records, padding included; the cursor also rides in every sector header)",
        "\(f(Double(m.allocations) / Double(m.appends), 3)) allocations/append")
    var file = fileLog(filePath)
    let fl = measure(&file, size: size)
    let r = reference(size: size, path: referencePath)
    row("append \(size) B, file device, sync/100 ms", "\(f(fl.appendsPerSecond)) appends/s, \(f(fl.megabytesPerSecond, 1)) MB/s",
        "plain write(2)+fdatasync/100 ms: \(f(r.appendsPerSecond)) appends/s; ratio \(f(fl.appendsPerSecond / r.appendsPerSecond, 2))",
        "write amplification \(f(fl.amplification, 3)); \(f(fl.fileAmplification, 3)) counting erase fills written to the file")
}

// Recovery of a full 64 MiB log (every sector written), memory and file device.
do {
    let device = MemoryFlashDevice(geometry: FlashGeometry(size: logSize, sectorSize: sectorSize))
    var records = 0
    do {
        var log = try RingLog(device: device, clock: SystemClock(), options: options())
        let payload = [UInt8](repeating: 7, count: 512)
        try payload.withUnsafeBytes { raw in
            while log.statistics().erasesSinceOpen == 0 {  // until it wraps: every sector written
                for _ in 0..<1024 { try log.append(raw); records += 1 }
            }
        }
        try log.sync()
    }
    let start = edge_monotonic_ns()
    let reopened = try RingLog(device: device, clock: SystemClock(), options: options())
    let elapsed = seconds(start)
    let s = reopened.statistics()
    row("recovery of a full 64 MiB log, memory device", "\(f(elapsed * 1000, 1)) ms", "\(s.records) records, \(s.usedBytes / mib) MiB scanned", "target ≤ 1000 ms")

    var file = fileLog(filePath)
    try payload512(&file)
    let fileStart = edge_monotonic_ns()
    let g = FlashGeometry(size: logSize, sectorSize: sectorSize)
    let reopenedFile = try RingLog(device: try FileFlashDevice(path: filePath, geometry: g), clock: SystemClock(), options: options())
    let fileElapsed = seconds(fileStart)
    row("recovery of a full 64 MiB log, file device (page cache)", "\(f(fileElapsed * 1000, 1)) ms",
        "\(reopenedFile.statistics().records) records", "target ≤ 1000 ms")
} catch {
    fatalError("\(error)")
}

func payload512(_ log: inout RingLog<FileFlashDevice, SystemClock>) throws {
    let payload = [UInt8](repeating: 7, count: 512)
    let result: RingLogError? = payload.withUnsafeBytes { raw in
        do throws(RingLogError) {
            while log.statistics().erasesSinceOpen == 0 {  // until it wraps: every sector written
                for _ in 0..<1024 { try log.append(raw) }
            }
            try log.sync()
            return nil
        } catch { return error }
    }
    if let result { throw result }
}

print("| RingLog (64 MiB, 64 KiB sectors, 64 KiB write buffer) | figure | reference / detail | notes |")
print("|---|---|---|---|")
for r in rows { print(r) }
print("")
print("Targets (issue 3): ≥ 200,000 appends/s of 64 B on the memory device; write amplification ≤ 1.1 at 512 B; recovery of 64 MiB ≤ 1 s; 0 allocations per append.")
