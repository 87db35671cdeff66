import Agent
import Configuration
import EdgeCore
import Foundation
import Testing

/// A configuration on trial (its marker names the running file) passes once the uplink is up and
/// every bus polled, fails with what was missing when the deadline passes first; a marker that
/// names another file is stale and removed without a trial; each start on trial is counted in
/// the marker, and the start after `configTrial.maximumStarts` fails the trial at once.
@Suite struct ConfigurationTrialTests {
    static let config = """
        {"version": "7",
         "buses": [{"name": "a", "type": "tcp", "host": "127.0.0.1", "port": 1502},
                   {"name": "b", "type": "tcp", "host": "127.0.0.1", "port": 1503}],
         "templates": [{"name": "t", "points": [{"id": "v", "table": "holding", "address": 0, "type": "uint16"}]}],
         "devices": [{"name": "d1", "template": "t", "unit": 1, "bus": "a"}, {"name": "d2", "template": "t", "unit": 1, "bus": "b"}],
         "cloud": {"host": "localhost", "port": 1883, "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "g"}},
         "ringLog": {"path": "/tmp/edge-trial-test.log", "size": "1MiB", "sectorSize": "64KiB"},
         "configTrial": {"deadlineMs": 10000}}
        """

    func site() throws -> (dir: URL, config: AgentConfiguration) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("agent.json")
        try Self.config.write(to: file, atomically: true, encoding: .utf8)
        return (dir, try AgentConfiguration.load(file: file.path))
    }

    @Test func passesWhenTheUplinkIsUpAndEveryBusPolled() throws {
        let (dir, config) = try site(); defer { try? FileManager.default.removeItem(at: dir) }
        #expect(config.configTrial.deadlineMilliseconds == 10_000)
        try ConfigurationTrialMarker(sha256: config.revision.sha256, version: "7").write(for: config.file)
        var trial = ConfigurationTrial()
        trial.begin(config)
        #expect(trial.marker?.version == "7")
        #expect(trial.report == "on trial: version 7")
        let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
        #expect(trial.step(now: t0, uplinkUp: true, busPolled: { $0 == 0 }) == .undecided)
        // Bus 0's success is remembered; bus 1 polls later.
        #expect(trial.step(now: t0.advanced(byMilliseconds: 5_000), uplinkUp: true, busPolled: { $0 == 1 }) == .passed)
    }

    @Test func failsAtTheDeadlineNamingWhatWasMissing() throws {
        let (dir, config) = try site(); defer { try? FileManager.default.removeItem(at: dir) }
        try ConfigurationTrialMarker(sha256: config.revision.sha256, version: "7").write(for: config.file)
        var trial = ConfigurationTrial()
        trial.begin(config)
        let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
        #expect(trial.step(now: t0, uplinkUp: false, busPolled: { $0 == 0 }) == .undecided)
        #expect(trial.step(now: t0.advanced(byMilliseconds: 9_999), uplinkUp: false, busPolled: { _ in true }) == .undecided)
        var late = ConfigurationTrial()
        late.begin(config)
        _ = late.step(now: t0, uplinkUp: false, busPolled: { $0 == 0 })
        #expect(late.step(now: t0.advanced(byMilliseconds: 10_000), uplinkUp: false, busPolled: { $0 == 0 })
                == .failed("the uplink never came up and bus 1 never polled successfully within 10 s"))
    }

    @Test func aConfigurationThatKeepsTheAgentFromPassingFailsAfterItsMaximumStarts() throws {
        let (dir, config) = try site(); defer { try? FileManager.default.removeItem(at: dir) }
        #expect(config.configTrial.maximumStarts == 3)
        try ConfigurationTrialMarker(sha256: config.revision.sha256, version: "7").write(for: config.file)
        let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
        // Three starts that crash (or are killed) before the trial is decided.
        for start in 1...3 {
            var trial = ConfigurationTrial()
            trial.begin(config)
            #expect(ConfigurationTrialMarker.read(for: config.file)?.starts == start, "counted before anything can crash")
            #expect(trial.step(now: t0, uplinkUp: false, busPolled: { _ in false }) == .undecided)
        }
        var fourth = ConfigurationTrial()
        fourth.begin(config)
        #expect(fourth.step(now: t0, uplinkUp: false, busPolled: { _ in false })
                == .failed("the agent started 4 times on it without passing (configTrial.maximumStarts 3): it crashed, hung or was killed"))
    }

    @Test func maximumStartsIsValidated() throws {
        let bad = Self.config.replacingOccurrences(of: "{\"deadlineMs\": 10000}", with: "{\"deadlineMs\": 10000, \"maximumStarts\": 0}")
        #expect(bad != Self.config)
        #expect(throws: ConfigErrors.self) { try AgentConfiguration.parse(Array(bad.utf8), file: "agent.json", checkDevicePaths: false) }
        do {
            _ = try AgentConfiguration.parse(Array(bad.utf8), file: "agent.json", checkDevicePaths: false)
        } catch {
            #expect(error.description.contains("configTrial.maximumStarts"), "\(error.description)")
        }
    }

    @Test func aMarkerNamingAnotherFileIsRemovedWithoutATrial() throws {
        let (dir, config) = try site(); defer { try? FileManager.default.removeItem(at: dir) }
        try ConfigurationTrialMarker(sha256: String(repeating: "0", count: 64), version: "8").write(for: config.file)
        var trial = ConfigurationTrial()
        trial.begin(config)
        #expect(trial.marker == nil)
        #expect(!FileManager.default.fileExists(atPath: config.file + ".trial"))
        #expect(trial.step(now: MonotonicInstant(nanoseconds: 0), uplinkUp: false, busPolled: { _ in false }) == .undecided)
    }
}
