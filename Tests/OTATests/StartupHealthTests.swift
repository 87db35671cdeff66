import EdgeCore
import Foundation
import OTA
import Testing

/// What the agent's start does with the boot state: a trial must prove itself before its
/// deadline (then it is committed and the upgrade reported complete), a committed slot is marked
/// good without depending on the uplink, a fallback is reported once. Environments are written
/// by fw_setenv and read back by fw_printenv; time is a manual clock.
@Suite(.serialized) struct StartupHealthTests {
    struct Board {
        let dir: URL
        let tools: UBootTools
    }

    static func board(_ vars: [String]) throws -> Board {
        let dir = try TestFiles.scratchDirectory("health")
        let env = dir.appendingPathComponent("uboot.env")
        try TestFiles.zeros(0x4000, at: env)
        let tools = try UBootTools(dir: dir, configText: "\(env.path) 0x0 0x2000\n\(env.path) 0x2000 0x2000\n")
        try tools.setenvScript(vars)
        return Board(dir: dir, tools: tools)
    }

    static let onTrialB = ["BOOT_ORDER=B A", "BOOT_A_LEFT=3", "BOOT_B_LEFT=2", "EDGE_TRIAL=B", "EDGE_VERSION_B=2.0.0"]

    @Test func aTrialThatSeesEverythingBeforeItsDeadlineIsCommitted() throws {
        let b = try Self.board(Self.onTrialB); defer { TestFiles.remove(b.dir) }
        var env = try openEnvironment(b.tools.config); try env.load()
        let clock = ManualClock()
        var health = StartupHealth.begin(environment: &env, booted: BootedSlot(slot: .b, source: .commandLine), runningVersion: "2.0.0",
                                         now: clock.monotonicNow(), trialTimeoutMilliseconds: 60_000)
        #expect(health.mode == .trial)
        #expect(health.nextDeadline == clock.monotonicNow().advanced(byMilliseconds: 60_000))
        health.observe(.configLoaded)
        health.observe(.ringLogOpened)
        health.observe(.uplinkConnected)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .none)
        #expect(health.missing == "poll")
        clock.advance(milliseconds: 59_000)
        health.observe(.pollSucceeded)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .upgradeCompleted(version: "2.0.0"))
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .none)
        #expect(health.nextDeadline == nil)
        let vars = try b.tools.printenv()
        #expect(vars["BOOT_B_LEFT"] == "3")
        #expect(vars["EDGE_TRIAL"] == nil)
        #expect(vars["BOOT_ORDER"] == "B A")
        #expect(StartupHealth.completedProgress(version: "2.0.0").stepText == "100")
    }

    @Test func aTrialThatNeverReachesTheUplinkMissesItsDeadlineAndIsNotMarkedGood() throws {
        let b = try Self.board(Self.onTrialB); defer { TestFiles.remove(b.dir) }
        var env = try openEnvironment(b.tools.config); try env.load()
        let clock = ManualClock()
        var health = StartupHealth.begin(environment: &env, booted: BootedSlot(slot: .b, source: .commandLine), runningVersion: "2.0.0",
                                         now: clock.monotonicNow(), trialTimeoutMilliseconds: 60_000)
        health.observe(.configLoaded)
        health.observe(.ringLogOpened)
        health.observe(.pollSucceeded)
        clock.advance(milliseconds: 59_999)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .none)
        clock.advance(milliseconds: 1)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .deadlineMissed(missing: "uplink"))
        health.observe(.uplinkConnected)  // too late
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .none)
        let vars = try b.tools.printenv()
        #expect(vars["BOOT_B_LEFT"] == "2")
        #expect(vars["EDGE_TRIAL"] == "B")
    }

    @Test func aCommittedSlotIsMarkedGoodWithoutTheUplinkAndNeverTimesOut() throws {
        let b = try Self.board(["BOOT_ORDER=A B", "BOOT_A_LEFT=2", "BOOT_B_LEFT=3"]); defer { TestFiles.remove(b.dir) }
        var env = try openEnvironment(b.tools.config); try env.load()
        let clock = ManualClock()
        var health = StartupHealth.begin(environment: &env, booted: BootedSlot(slot: .a, source: .commandLine), runningVersion: "1.0.0",
                                         now: clock.monotonicNow())
        #expect(health.mode == .committed)
        #expect(health.nextDeadline == nil)
        clock.advance(milliseconds: 86_400_000)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .none)
        health.observe(.configLoaded)
        health.observe(.ringLogOpened)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .markedGood(version: "1.0.0"))
        #expect(try b.tools.printenv()["BOOT_A_LEFT"] == "3")
    }

    @Test func aFallbackIsReportedOnceAndAcknowledged() throws {
        let b = try Self.board(["BOOT_ORDER=B A", "BOOT_A_LEFT=2", "BOOT_B_LEFT=0", "EDGE_TRIAL=B", "EDGE_VERSION_B=2.0.0"])
        defer { TestFiles.remove(b.dir) }
        var env = try openEnvironment(b.tools.config); try env.load()
        let clock = ManualClock()
        var health = StartupHealth.begin(environment: &env, booted: BootedSlot(slot: .a, source: .commandLine), runningVersion: "1.0.0",
                                         now: clock.monotonicNow())
        let first = health.poll(now: clock.monotonicNow(), environment: &env)
        guard case .upgradeFailed(let progress, let running) = first else {
            Issue.record("expected upgradeFailed, got \(first)")
            return
        }
        #expect(progress.step == -1)
        #expect(progress.desc.contains("2.0.0") && progress.desc.contains("slot B"), "\(progress.desc)")
        #expect(running == "1.0.0")
        health.observe(.configLoaded)
        health.observe(.ringLogOpened)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .markedGood(version: "1.0.0"))
        let vars = try b.tools.printenv()
        #expect(vars["BOOT_ORDER"] == "A B")
        #expect(vars["BOOT_B_LEFT"] == "0")
        #expect(vars["BOOT_A_LEFT"] == "3")
        #expect(vars["EDGE_TRIAL"] == nil)
        // The next start has nothing to report.
        var again = try openEnvironment(b.tools.config); try again.load()
        var next = StartupHealth.begin(environment: &again, booted: BootedSlot(slot: .a, source: .commandLine), runningVersion: "1.0.0",
                                       now: clock.monotonicNow())
        #expect(next.poll(now: clock.monotonicNow(), environment: &again) == .none)
        #expect(next.mode == .committed)
    }

    @Test func withoutTheBootedSlotFromTheCommandLineNothingIsMarkedOrReported() throws {
        let b = try Self.board(Self.onTrialB); defer { TestFiles.remove(b.dir) }
        var env = try openEnvironment(b.tools.config); try env.load()
        let clock = ManualClock()
        var health = StartupHealth.begin(environment: &env, booted: BootedSlot(slot: .b, source: .environment), runningVersion: "2.0.0",
                                         now: clock.monotonicNow())
        #expect(health.mode == .unmanaged)
        for e in [StartupHealth.Event.configLoaded, .ringLogOpened, .uplinkConnected, .pollSucceeded] { health.observe(e) }
        clock.advance(milliseconds: 1_000_000)
        #expect(health.poll(now: clock.monotonicNow(), environment: &env) == .none)
        #expect(try b.tools.printenv()["EDGE_TRIAL"] == "B")
    }

    @Test func rebootMethodFollowsTheBoardSetting() {
        #expect(RebootMethod.forBoard("qemu-aarch64") == .exitProcess)
        #expect(RebootMethod.forBoard("cm4-gateway") == .systemReboot)
        #expect(RebootMethod.forBoard("cm4-gateway", setting: "exit") == .exitProcess)
        #expect(RebootMethod.forBoard("qemu-armv7", setting: "reboot") == .systemReboot)
        #expect(RebootMethod(setting: "halt") == nil)
        #expect(OTAExitStatus.rebootRequested != OTAExitStatus.healthCheckFailed)
    }
}
