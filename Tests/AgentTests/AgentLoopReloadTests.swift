import Agent
import CShim
import EdgeCore
import Foundation
import Testing

/// What the runner does with a turn's outcome (`AgentRunner.settle`), on the loop in memory:
/// SIGHUP with a valid file ends the run to restart with it, after stopping the buses, syncing the
/// ring log and disconnecting; SIGHUP with a refused file keeps everything running and says why;
/// SIGTERM stops the same way as a reload and exits 0.
@Suite struct AgentLoopReloadTests {
    static func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("agent-loop-reload-\(UUID().uuidString).json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A harness whose configuration came from `url`, with samples appended but not yet synced.
    static func running(_ url: URL) throws -> LoopHarness {
        var h = try LoopHarness(configText: try String(contentsOf: url, encoding: .utf8), file: url.path)
        h.connect()
        for i in 0..<3 {
            h.buses[0].deliver(h.sample(0, 0, Double(i)))
            _ = h.loop.turn(maximumWaitMilliseconds: 0)
        }
        #expect(h.loop.store.log.nextAppendSequence > 1)
        #expect((h.loop.store.log.durableSequence ?? 0) < h.loop.store.log.nextAppendSequence - 1, "synced already")
        return h
    }

    static func ota(_ h: borrowing LoopHarness) -> AgentOTA {
        AgentOTA(setup: nil, settings: h.loop.configuration.ota, runningVersion: "test", cloudCAFile: nil,
                 now: h.clock.monotonicNow())
    }

    static func expectShutDown(_ h: borrowing LoopHarness) {
        for bus in h.buses { #expect(bus.stopped) }
        #expect(h.loop.store.log.durableSequence == h.loop.store.log.nextAppendSequence - 1, "ring log not synced")
        #expect(h.loop.uplink.disconnects == 1)
    }

    @Test func sighupWithAValidFileRestartsWithItAfterASyncAndADisconnect() throws {
        let url = try Self.file(LoopHarness.configText(statusMs: 5_000))
        defer { try? FileManager.default.removeItem(at: url) }
        var h = try Self.running(url)
        var ota = Self.ota(h)
        try LoopHarness.configText(statusMs: 7_000).write(to: url, atomically: true, encoding: .utf8)
        h.poller.raise(SIGHUP)
        let outcome = h.turn()
        #expect(outcome == .reload)
        let next = AgentRunner.settle(outcome, &h.loop, ota: &ota, environment: AgentRunner.Environment(firmwareVersion: "test"))
        guard case .restart(let config) = next else {
            Issue.record("no restart: \(String(describing: next))")
            return
        }
        #expect(config.status.intervalMilliseconds == 7_000)
        Self.expectShutDown(h)
        #expect(h.lines.contains { $0.contains("configuration reloaded") })
    }

    @Test func sighupWithARefusedFileKeepsRunningAndSaysWhy() throws {
        let url = try Self.file(LoopHarness.configText())
        defer { try? FileManager.default.removeItem(at: url) }
        var h = try Self.running(url)
        var ota = Self.ota(h)
        try LoopHarness.configText(statusMs: 10).write(to: url, atomically: true, encoding: .utf8)
        h.poller.raise(SIGHUP)
        let outcome = h.turn()
        let next = AgentRunner.settle(outcome, &h.loop, ota: &ota, environment: AgentRunner.Environment(firmwareVersion: "test"))
        #expect(next == nil)
        for bus in h.buses { #expect(!bus.stopped) }
        #expect(h.loop.uplink.disconnects == 0)
        #expect(h.lines.contains { $0.contains("reload refused") && $0.contains("intervalMs") })
        #expect(h.lines.contains { $0.contains("reload refused: keeping the running configuration") })
        // Still running: samples go on to the cloud.
        h.buses[0].deliver(h.sample(0, 0, 99))
        h.run(until: h.now + 1_000)
        #expect(FakeUplink.samples(h.loop.uplink.cloud.requests).contains { $0.3 == 99 })
    }

    @Test func sigtermStopsAfterASyncAndADisconnectAndExitsZero() throws {
        let url = try Self.file(LoopHarness.configText())
        defer { try? FileManager.default.removeItem(at: url) }
        var h = try Self.running(url)
        var ota = Self.ota(h)
        h.poller.raise(SIGTERM)
        let outcome = h.turn()
        let next = AgentRunner.settle(outcome, &h.loop, ota: &ota, environment: AgentRunner.Environment(firmwareVersion: "test"))
        guard case .exit(let status) = next else {
            Issue.record("no exit: \(String(describing: next))")
            return
        }
        #expect(status == 0)
        Self.expectShutDown(h)
    }
}
