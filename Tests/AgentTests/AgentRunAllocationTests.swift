import CShim
import Foundation
import Testing

/// `edge-agent run` itself, every thread of it, under the counting allocator of
/// Tools/malloc_count.c: once warmed up, a minute of polling two meters (a third one dead),
/// recording, group commits, publishing, confirmations and gateway status allocates nothing.
/// AgentLoopAllocationTests shows the same for the loop's thread in-process, with stacks; this
/// test covers the bus worker threads, the runner around the loop and the binary as shipped.
/// Host: EDGE_AGENT_BINARY is an ELF executable and the library is built here and preloaded
/// (LD_PRELOAD). Firmware: EDGE_AGENT_BINARY is Tools/qemu-agent.sh and EDGE_COUNTING_FIRMWARE
/// names a firmware linked with the counting allocator (Tools/malloc_count.c's header), run in
/// place of EDGE_FIRMWARE. Skipped otherwise, hence not named EndToEnd* (`make firmware-e2e`
/// requires those to run).
@Suite(.serialized) struct AgentRunAllocationTests {
    typealias H = EndToEndHarness

    /// How long the steady state is counted: long enough for every timer of the agent (status
    /// every 2 s, keepalive 5 s, publishing, group commit) to fire many times over.
    static let window: TimeInterval = 60

    static var compiler: String? {
        ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The library is preloaded into the binary itself only when that is a host executable (ELF),
    /// not a wrapper script such as Tools/qemu-agent.sh.
    static var binaryIsExecutable: Bool {
        guard let handle = FileHandle(forReadingAtPath: H.binary) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x7F, 0x45, 0x4C, 0x46])
    }

    /// A firmware built with the counting allocator, for Tools/qemu-agent.sh (nil: none).
    static var countingFirmware: String? {
        ProcessInfo.processInfo.environment["EDGE_COUNTING_FIRMWARE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var prerequisitesPresent: Bool {
        H.prerequisitesPresent && (binaryIsExecutable ? compiler != nil : countingFirmware != nil)
    }

    struct Counts {
        var allocations: UInt64
        var reallocations: UInt64
        var frees: UInt64
        var bytes: UInt64
        /// Heap in use now and at most so far (bytes the allocator handed out).
        var heapInUse: UInt64
        var heapPeak: UInt64
    }

    /// The counting allocator's counters, read from its shared file (nil: not there yet).
    static func counts(_ file: URL) -> Counts? {
        guard let data = try? Data(contentsOf: file), data.count >= 9 * 8 else { return nil }
        let w = (0..<9).map { i in data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) } }
        guard w[0] == 0x4544_4745_434e_5431 else { return nil }
        return Counts(allocations: w[1], reallocations: w[2], frees: w[3], bytes: w[4], heapInUse: w[7], heapPeak: w[8])
    }

    /// From now on the library writes the stacks of the next allocations to its trace file.
    static func arm(_ file: URL) throws {
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seek(toOffset: 5 * 8)
        var one: UInt64 = 1
        try handle.write(contentsOf: Data(bytes: &one, count: 8))
    }

    static func buildPreload(into directory: URL) throws -> URL {
        let library = directory.appendingPathComponent("libmalloccount.so")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: compiler!)
        p.arguments = ["-shared", "-fPIC", "-O2", "-o", library.path,
                       H.packageRoot.appendingPathComponent("Tools/malloc_count.c").path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw H.HarnessError.notReady("cc Tools/malloc_count.c failed") }
        return library
    }

    /// Accepted measurepoint entries per sub-device, and the gateway status posts, so far.
    static func progress(_ h: H) -> (meter1: Int, meter2: Int, status: Int) {
        let entries = h.entries()
        let status = h.records(kind: "request").filter {
            $0["method"] as? String == "thing.measurepoint.post" && $0["topic"] as? String == "/sys/gwPK/gw1/thing/measurepoint/post"
                && $0["replyCode"] as? Int == 200
        }.count
        return (entries.filter { $0.device == "meter1" }.count, entries.filter { $0.device == "meter2" }.count, status)
    }

    /// VmHWM, VmRSS, RssAnon (heap, stacks, static buffers) and RssFile (the binary and its
    /// shared libraries) of `pid` in KiB (0 when unknown).
    static func memory(_ pid: Int32) -> (peak: Int, now: Int, anonymous: Int, file: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0, 0, 0) }
        func field(_ name: String) -> Int {
            for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
                return Int(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") ?? 0
            }
            return 0
        }
        return (field("VmHWM"), field("VmRSS"), field("RssAnon"), field("RssFile"))
    }

    /// The preload library's stacks with each frame's function and file:line (llvm-symbolizer,
    /// swift-demangle from PATH; raw frames where they are missing).
    static func symbolized(_ stacks: String) -> String {
        // backtrace_symbols_fd's "object(+0xOFFSET)[address]": the object and the return address.
        func frame(_ line: Substring) -> (object: String, offset: UInt64)? {
            guard let open = line.range(of: "(+0x"), let close = line.range(of: ")[", range: open.upperBound..<line.endIndex),
                  let offset = UInt64(line[open.upperBound..<close.lowerBound], radix: 16), offset > 0 else { return nil }
            return (String(line[..<open.lowerBound]), offset - 1)
        }
        var offsets: [String: [UInt64]] = [:]
        for line in stacks.split(separator: "\n") {
            if let f = frame(line) { offsets[f.object, default: []].append(f.offset) }
        }
        var names: [String: String] = [:]
        for (object, list) in offsets {
            let answers = run("llvm-symbolizer", ["--obj=" + object, "--functions=linkage"],
                              input: list.map { "0x" + String($0, radix: 16) }.joined(separator: "\n"))
                .components(separatedBy: "\n\n")
            for (offset, text) in zip(list, answers) {
                names["\(object)+\(offset)"] = text.split(separator: "\n").map { $0.split(separator: "/").last.map(String.init) ?? "" }
                    .joined(separator: "  @")
            }
        }
        var out: [String] = []
        for line in stacks.split(separator: "\n") {
            if let f = frame(line), let name = names["\(f.object)+\(f.offset)"], !name.hasPrefix("??") {
                out.append("  " + name)
            } else {
                out.append(String(line))
            }
        }
        let text = out.joined(separator: "\n")
        let demangled = run("swift-demangle", ["--simplified", "--compact"], input: text)
        return demangled.isEmpty ? text : demangled
    }

    /// `tool` from PATH with `input` on stdin: its stdout ("" when it cannot run).
    static func run(_ tool: String, _ arguments: [String], input: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return "" }
        stdin.fileHandleForWriting.write(Data((input + "\n").utf8))
        try? stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : ""
    }

    @Test(.enabled(if: prerequisitesPresent))
    func runningAgentAllocatesNothingForAMinute() throws {
        let h = try H()
        let countFile = h.directory.appendingPathComponent("malloc-counts")
        let traceFile = h.directory.appendingPathComponent("malloc-stacks.txt")
        var environment = ["EDGE_MALLOC_COUNT_FILE": countFile.path]
        if Self.binaryIsExecutable {
            environment["LD_PRELOAD"] = try Self.buildPreload(into: h.directory).path
            environment["EDGE_MALLOC_TRACE_FILE"] = traceFile.path
        } else {
            environment["EDGE_FIRMWARE"] = Self.countingFirmware
        }
        try h.writeConfig(intervalMs: 100, deadDevice: true)
        try h.startAgent(environment: environment)
        let pid = try #require(h.agent?.processIdentifier)

        // Warm up: connected, both sub-devices logged in and publishing, status posted; then a
        // few more seconds for the timers that fire later (keepalive) to have run once.
        let warm = Date().addingTimeInterval(45)
        var p = Self.progress(h)
        while Date() < warm && h.agentIsRunning && !(p.meter1 > 5 && p.meter2 > 5 && p.status > 0) {
            usleep(200_000)
            p = Self.progress(h)
        }
        let log = (try? String(contentsOf: h.agentLog, encoding: .utf8)) ?? ""
        try #require(p.meter1 > 5 && p.meter2 > 5 && p.status > 0, "the agent did not warm up: \(p); its log:\n\(log.suffix(3000))")
        usleep(6_000_000)

        let before = try #require(Self.counts(countFile), "the counting allocator did not publish its counters (not linked in?)")
        try #require(before.allocations > 0, "the counting allocator counted nothing: it is not the agent's malloc")
        try Self.arm(countFile)
        let start = Self.progress(h)
        let end = Date().addingTimeInterval(Self.window)
        while Date() < end && h.agentIsRunning { usleep(500_000) }
        let after = try #require(Self.counts(countFile))
        let finish = Self.progress(h)
        let rss = Self.memory(pid)
        #expect(h.agentIsRunning, "the agent stopped during the count")
        #expect(h.stopAgent(signal: SIGTERM) == 0)

        // Something happened all along: samples of both meters kept arriving, status was posted
        // (about 600 samples a meter when the machine is idle, far fewer on a loaded one).
        #expect(finish.meter1 - start.meter1 > 20 && finish.meter2 - start.meter2 > 20, "too few samples while counting: \(start) → \(finish)")
        #expect(finish.status - start.status > 5, "too few status posts while counting: \(start) → \(finish)")
        let allocations = after.allocations - before.allocations
        let reallocations = after.reallocations - before.reallocations
        let stacks = allocations + reallocations == 0 ? "" : Self.symbolized((try? String(contentsOf: traceFile, encoding: .utf8)) ?? "")
        #expect(allocations == 0 && reallocations == 0,
                "\(allocations) allocations, \(reallocations) reallocations, \(after.bytes - before.bytes) bytes in \(Int(Self.window)) s; first stacks:\n\(stacks.prefix(12000))")
        // Under qemu-user these are qemu's figures (guest plus emulator), not the firmware's.
        print("AgentRunAllocationTests: peak RSS \(rss.peak) KiB; after \(Int(Self.window)) s counted RSS \(rss.now) KiB "
              + "(anonymous \(rss.anonymous) KiB, files \(rss.file) KiB); heap in use \(after.heapInUse / 1024) KiB, "
              + "peak \(after.heapPeak / 1024) KiB (\(H.binary)\(Self.binaryIsExecutable ? "" : " " + (Self.countingFirmware ?? "")))")
    }
}
