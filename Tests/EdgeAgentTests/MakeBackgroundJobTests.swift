import Foundation
import Testing
import TestSupport

/// `make test` runs the 5-minute alarm outage test in the background and collects it at its end
/// (`make unit-long-wait`, the Makefile's bg_wait): the collection must fail unless that run
/// exited 0, ran at least one test and skipped none, so a background test cannot pass by not
/// running. The logs are written here as the background job would leave them, in a scratch
/// BUILD_DIR (its own lock file, so this never waits on a real run's lock).
@Suite struct MakeBackgroundJobTests {
    static func collect(log: String?) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        if let log { try log.write(to: dir.appendingPathComponent("unit-long-tests.log"), atomically: true, encoding: .utf8) }
        return try ChildProcess.run("/usr/bin/make", ["-s", "--no-print-directory", "-C", ChildProcess.packageRoot.path,
                                                      "unit-long-wait", "BUILD_DIR=\(dir.path)"])
    }

    static let passed = "✔ Test run with 1 test in 1 suite passed after 304.1 seconds.\n"

    @Test func aPassingRunIsCollected() throws {
        let r = try Self.collect(log: Self.passed + "rc=0\n")
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("unit-long-tests> ✔ Test run with 1 test"), "the log is shown: \(r.output)")
        #expect(r.output.contains("AlarmFiveMinuteOutageTests passed"), "\(r.output)")
    }

    @Test func aFailedSkippedOrEmptyRunFailsAndSaysWhy() throws {
        let failed = try Self.collect(log: "✘ Test run with 1 test failed\nrc=1\n")
        #expect(failed.status != 0 && failed.output.contains("FAIL: unit-long-tests"), "\(failed.output)")
        let skipped = try Self.collect(log: "➜ Test alarmRaised() skipped\n" + Self.passed + "rc=0\n")
        #expect(skipped.status != 0 && skipped.output.contains("FAIL: AlarmFiveMinuteOutageTests skipped"), "\(skipped.output)")
        let none = try Self.collect(log: "Executed 0 tests\nrc=0\n")
        #expect(none.status != 0 && none.output.contains("FAIL: AlarmFiveMinuteOutageTests did not run"), "\(none.output)")
        let unfinished = try Self.collect(log: Self.passed)
        #expect(unfinished.status != 0, "a log without its exit status is a run that did not end: \(unfinished.output)")
        let missing = try Self.collect(log: nil)
        #expect(missing.status != 0 && missing.output.contains("unit-long-tests was not started"), "\(missing.output)")
    }
}
