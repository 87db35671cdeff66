import EdgeCore
import Foundation
import OTA
import Testing

/// The console's `ota status`, `ota install URL`, `ota mark-good` and progress lines, written
/// into a TextWriter over a fixed buffer as the serial console does.
@Suite(.serialized) struct OTAConsoleTests {
    static func text(capacity: Int = 4096, _ body: (inout TextWriter) throws -> Void) rethrows -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var out = TextWriter(buffer: buffer)
        try body(&out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    @Test func statusShowsSlotsCountersTrialHealthAndARunningUpgrade() throws {
        let dir = try TestFiles.scratchDirectory("con1"); defer { TestFiles.remove(dir) }
        let tools = try OTACommandTests.environment(dir, ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=2", "EDGE_TRIAL=B",
                                                          "EDGE_VERSION_B=2.0.0"])
        var env = try openEnvironment(tools.config); try env.load()
        let booted = BootedSlot(slot: .b, source: .commandLine)
        let health = StartupHealth.begin(environment: &env, booted: booted, runningVersion: "2.0.0", now: MonotonicInstant(nanoseconds: 0))
        let upgrade = UpgradeJobSummary(version: "2.1.0", target: .a, received: 500, total: 2000, drops: 1)
        let out = Self.text { OTAConsole.status(environment: env, booted: booted, health: health, upgrade: upgrade, into: &$0) }
        #expect(out.contains("environment: copy "), "\(out)")
        #expect(out.contains("BOOT_ORDER: B A\n"))
        #expect(out.contains("slot A: attempts left 3, version unknown\n"))
        #expect(out.contains("slot B: attempts left 2, version 2.0.0  <- booted\n"))
        #expect(out.contains("booted: B (kernel command line)\n"))
        #expect(out.contains("state: ON TRIAL, 2 attempts left to pass the health check\n"))
        #expect(out.contains("next boot: B\n"))
        #expect(out.contains("health check: waiting for config, ring log, uplink, poll (trial: not marked good until then)\n"))
        #expect(out.contains("upgrade: 2.1.0 into slot A, 500 of 2000 bytes (25%), resumed 1 times\n"), "\(out)")
    }

    @Test func statusIsCutCleanlyWhenTheBufferIsSmall() throws {
        let dir = try TestFiles.scratchDirectory("con2"); defer { TestFiles.remove(dir) }
        let tools = try OTACommandTests.environment(dir, ["BOOT_ORDER=A B", "BOOT_A_LEFT=3", "BOOT_B_LEFT=3"])
        var env = try openEnvironment(tools.config); try env.load()
        var truncated = false
        let out = Self.text(capacity: 40) {
            OTAConsole.status(environment: env, booted: nil, into: &$0)
            truncated = $0.isTruncated
        }
        #expect(out.utf8.count == 40)
        #expect(truncated)
    }

    @Test func markGoodAcknowledgesAFallbackAndCommits() throws {
        let dir = try TestFiles.scratchDirectory("con3"); defer { TestFiles.remove(dir) }
        let tools = try OTACommandTests.environment(dir, ["BOOT_ORDER=A B", "BOOT_A_LEFT=0", "BOOT_B_LEFT=2", "EDGE_TRIAL=A"])
        var env = try openEnvironment(tools.config); try env.load()
        var ok = false
        let out = Self.text { ok = OTAConsole.markGood(environment: &env, booted: BootedSlot(slot: .b, source: .commandLine), into: &$0) }
        #expect(ok)
        #expect(out == "slot A failed its trial; running slot B\nslot B marked good (3 attempts)\n", "\(out)")
        let vars = try tools.printenv()
        #expect(vars["BOOT_ORDER"] == "B A" && vars["BOOT_B_LEFT"] == "3" && vars["EDGE_TRIAL"] == nil)
        let refused = Self.text { ok = OTAConsole.markGood(environment: &env, booted: BootedSlot(slot: .b, source: .environment), into: &$0) }
        #expect(!ok)
        #expect(refused.contains("booted slot unknown"))
    }

    @Test func installChecksTheURLAndThatNoUpgradeIsRunning() {
        var order: UpgradeOrder? = nil
        var out = Self.text { order = OTAConsole.installOrder(url: "http://10.0.0.5:8080/fw.img", upgradeRunning: false, into: &$0) }
        #expect(order?.fileURL == "http://10.0.0.5:8080/fw.img")
        #expect(order?.hasDigest == false)
        #expect(out == "ota install: downloading http://10.0.0.5:8080/fw.img\n")
        out = Self.text { order = OTAConsole.installOrder(url: "ftp://x/fw.img", upgradeRunning: false, into: &$0) }
        #expect(order == nil && out.contains("expected http://"))
        out = Self.text { order = OTAConsole.installOrder(url: "http://x/fw.img", upgradeRunning: true, into: &$0) }
        #expect(order == nil && out.contains("already running"))
    }

    @Test func progressLinesNameFailures() {
        let ok = Self.text { OTAConsole.progress(UpgradeProgress(step: 35, desc: "downloading firmware"), into: &$0) }
        #expect(ok == "ota: 35% downloading firmware\n")
        let bad = Self.text { OTAConsole.progress(UpgradeProgress(.image(.badSignature)), into: &$0) }
        #expect(bad == "ota: FAILED (-3) image refused: signature does not verify\n")
    }
}
