import Agent
import EdgeCore
import Foundation
import OTA
import Testing
import TestSupport
@testable import Configuration
@testable import CloudLink

/// `AgentOTA` against a scripted uplink (no network): refusals and their codes, reports held
/// until the uplink connects, the start-up check of a committed boot and of a trial, and idle
/// turns that allocate nothing.
@Suite(.serialized) struct AgentOTATests {
    /// Records what AgentOTA sends; orders are handed in by the test.
    struct ScriptedUplink: OTAUplink {
        var isConnected = false
        var orders: [ReceivedUpgradeOrder] = []
        var replies: [(code: Int, message: String)] = []
        var progress: [UpgradeProgress] = []
        var informs: [String] = []
        var cloudReplies: [(tag: UInt64, code: Int)] = []
        var tags: [UInt64] = []

        init() {
            orders.reserveCapacity(8)
            replies.reserveCapacity(8)
            progress.reserveCapacity(64)
            informs.reserveCapacity(8)
            cloudReplies.reserveCapacity(8)
            tags.reserveCapacity(64)
        }

        mutating func nextUpgradeOrder() -> ReceivedUpgradeOrder? { orders.isEmpty ? nil : orders.removeFirst() }
        mutating func replyToUpgrade(_ order: ReceivedUpgradeOrder, code: Int, message: String) { replies.append((code, message)) }
        mutating func postUpgradeProgress(_ p: UpgradeProgress, tag: UInt64) -> Bool {
            guard isConnected else { return false }
            progress.append(p)
            tags.append(tag)
            return true
        }
        mutating func postFirmwareVersion(_ version: String, tag: UInt64) -> Bool {
            guard isConnected else { return false }
            informs.append(version)
            tags.append(tag)
            return true
        }
        mutating func nextUpgradeReply() -> (tag: UInt64, code: Int)? { cloudReplies.isEmpty ? nil : cloudReplies.removeFirst() }
    }

    static let order = ReceivedUpgradeOrder(version: "2.0.0", sign: "00112233445566778899aabbccddeeff", signMethod: "md5",
                                            fileURL: "http://127.0.0.1:1/fw.img", fileSize: 1000)
    static let now = MonotonicInstant(nanoseconds: 1_000_000_000)

    /// A redundant environment in two files' worth of one file, with `vars`, and a board setup
    /// around it (slots that are never written here).
    static func setup(_ dir: URL, vars: [(String, String)], slot: String) throws -> AgentOTASetup {
        let file = dir.appendingPathComponent("env.img")
        try Data(count: 0x4000).write(to: file)
        let config = try BootEnvironmentConfig(copies: [BootEnvironmentLocation(device: file.path, offset: 0, size: 0x2000),
                                                        BootEnvironmentLocation(device: file.path, offset: 0x2000, size: 0x2000)])
        var env = BootEnvironment(config: config, storage: FileEnvironmentStorage(config: config))
        env.reset()
        for (name, value) in vars { try env.set(name, value) }
        try env.save()
        let key = Array(try Data(contentsOf: EndToEndHarness.packageRoot.appendingPathComponent("Tests/OTAFixtures/Keys/test-signing-key.der")))
        return AgentOTASetup(board: "qemu-aarch64", slots: SlotSet(a: dir.appendingPathComponent("a").path, b: dir.appendingPathComponent("b").path),
                             slotSize: nil, environment: config, key: key, reboot: .exitProcess, commandLine: "edge.slot=\(slot)")
    }

    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agent-ota-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func withoutABoardAnOrderIsRefusedAndItsReportWaitsForTheUplink() {
        var ota = AgentOTA(setup: nil, settings: FirmwareUpdateSettings(), runningVersion: "1.0.0", cloudCAFile: nil, now: Self.now)
        var uplink = ScriptedUplink()
        uplink.orders.append(Self.order)
        #expect(ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now) == .none)
        #expect(uplink.replies.map(\.code) == [AgentOTA.Refusal.unavailable])
        #expect(uplink.replies.first?.message.contains("no A/B slots") == true)
        #expect(uplink.progress.isEmpty, "sent while disconnected")
        uplink.isConnected = true
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.progress.map(\.step) == [UpgradeProgress.ignored])
        #expect(ota.refusedOrders == 1 && !ota.isUpgrading)
    }

    @Test func ordersForSubDevicesAndOrdersDuringATrialAreRefused() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try Self.setup(dir, vars: [("BOOT_ORDER", "B A"), ("BOOT_A_LEFT", "3"), ("BOOT_B_LEFT", "2"), ("EDGE_TRIAL", "B")], slot: "B")
        var ota = AgentOTA(setup: setup, settings: FirmwareUpdateSettings(), runningVersion: "2.0.0", cloudCAFile: nil, now: Self.now)
        #expect(ota.health?.mode == .trial)
        var uplink = ScriptedUplink()
        uplink.isConnected = true
        var sub = Self.order
        sub.forGateway = false
        uplink.orders = [sub, Self.order]
        _ = ota.step(revents: 0, health: [.configLoaded, .ringLogOpen], uplink: &uplink, now: Self.now)
        #expect(uplink.replies.map(\.code) == [AgentOTA.Refusal.notGateway, AgentOTA.Refusal.onTrial])
        #expect(uplink.progress.isEmpty, "a refusal during a trial must not report progress (it would fail the trial's job)")
        // The trial passes: 100, then inform; the counter is reset and the trial ended.
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.progress.map(\.step) == [100] && uplink.informs == ["2.0.0"])
        let env = try Self.reload(setup)
        #expect(env.value("EDGE_TRIAL") == nil && env.value("BOOT_B_LEFT") == "3")
    }

    @Test func anOrderForTheRunningVersionCompletesWithoutADownload() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try Self.setup(dir, vars: [("BOOT_ORDER", "B A"), ("BOOT_A_LEFT", "3"), ("BOOT_B_LEFT", "3")], slot: "B")
        var ota = AgentOTA(setup: setup, settings: FirmwareUpdateSettings(), runningVersion: "2.0.0", cloudCAFile: nil, now: Self.now)
        var uplink = ScriptedUplink()
        uplink.isConnected = true
        uplink.orders = [Self.order]
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.replies.map(\.code) == [200])
        #expect(uplink.progress.map(\.step) == [100] && uplink.informs == ["2.0.0"])
        let upgrading = ota.isUpgrading
        #expect(!upgrading)
        #expect(try Self.reload(setup).value("BOOT_A_LEFT") == "3", "slot A was touched")
    }

    /// The reports a task ends on (100 and inform) are sent again when their request times out
    /// (code 0: the connection dropped before the reply), at most three sends each; a reply 200
    /// ends it. Progress steps on the way are not resent.
    @Test func finalReportsAreSentAgainWhenTheirRequestTimesOut() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try Self.setup(dir, vars: [("BOOT_ORDER", "B A"), ("BOOT_A_LEFT", "3"), ("BOOT_B_LEFT", "3")], slot: "B")
        var ota = AgentOTA(setup: setup, settings: FirmwareUpdateSettings(), runningVersion: "2.0.0", cloudCAFile: nil, now: Self.now)
        var uplink = ScriptedUplink()
        uplink.isConnected = true
        uplink.orders = [Self.order]
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.progress.map(\.step) == [100] && uplink.informs == ["2.0.0"])
        let progressTag = try #require(uplink.tags.first)
        let informTag = try #require(uplink.tags.last)
        // Both time out: both go again, with new tags.
        uplink.cloudReplies = [(progressTag, 0), (informTag, 0)]
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.progress.map(\.step) == [100, 100] && uplink.informs == ["2.0.0", "2.0.0"])
        #expect(Set(uplink.tags).count == 4)
        // The progress is confirmed; the inform keeps timing out: three sends in all, then no more.
        uplink.cloudReplies = [(uplink.tags[2], 200), (uplink.tags[3], 0)]
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.progress.count == 2 && uplink.informs.count == 3)
        uplink.cloudReplies = [(try #require(uplink.tags.last), 0)]
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now)
        #expect(uplink.progress.count == 2 && uplink.informs.count == 3, "sent more than three times")
    }

    @Test func aTrialWithoutUplinkMissesItsDeadline() throws {
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try Self.setup(dir, vars: [("BOOT_ORDER", "B A"), ("BOOT_A_LEFT", "3"), ("BOOT_B_LEFT", "2"), ("EDGE_TRIAL", "B")], slot: "B")
        var ota = AgentOTA(setup: setup, settings: FirmwareUpdateSettings(trialTimeoutMilliseconds: 5_000), runningVersion: "2.0.0",
                           cloudCAFile: nil, now: Self.now)
        var uplink = ScriptedUplink()
        let conditions: HealthCheck.Conditions = [.configLoaded, .ringLogOpen, .pollSucceeded]
        #expect(ota.pollRequest(now: Self.now).timeoutMilliseconds == 5_000)
        #expect(ota.step(revents: 0, health: conditions, uplink: &uplink, now: Self.now.advanced(byMilliseconds: 4_999)) == .none)
        #expect(ota.step(revents: 0, health: conditions, uplink: &uplink, now: Self.now.advanced(byMilliseconds: 5_000)) == .healthCheckFailed)
        #expect(try Self.reload(setup).value("EDGE_TRIAL") == "B")
    }

    @Test func idleTurnsAfterTheStartUpCheckAllocateNothing() throws {
        #expect(AllocationCounter.isActive)
        let dir = try Self.scratch(); defer { try? FileManager.default.removeItem(at: dir) }
        let setup = try Self.setup(dir, vars: [("BOOT_ORDER", "A B"), ("BOOT_A_LEFT", "3"), ("BOOT_B_LEFT", "3")], slot: "A")
        var ota = AgentOTA(setup: setup, settings: FirmwareUpdateSettings(), runningVersion: "1.0.0", cloudCAFile: nil, now: Self.now)
        var uplink = ScriptedUplink()
        uplink.isConnected = true
        for _ in 0..<3 { _ = ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now) }
        while ota.nextMessage() != nil {}
        #expect(ota.health?.isPending == false)
        var actions = 0
        let counted = AllocationCounter.count {
            for _ in 0..<1_000 {
                _ = ota.pollRequest(now: Self.now)
                if ota.step(revents: 0, health: .all, uplink: &uplink, now: Self.now) != .none { actions += 1 }
                while ota.nextMessage() != nil {}
            }
        }
        #expect(actions == 0)
        #expect(counted.allocations == 0, "\(counted)")
    }

    static func reload(_ setup: AgentOTASetup) throws -> BootEnvironment<FileEnvironmentStorage> {
        var env = BootEnvironment(config: setup.environment!, storage: FileEnvironmentStorage(config: setup.environment!))
        try env.load()
        return env
    }
}
