import EdgeCore
import Foundation
import Testing
import TestSupport
import RingLogTestSupport
@testable import RingLog

/// A real process appending and syncing to a file-backed log (`edge-agent log stress`), killed
/// with SIGKILL at random moments 55 times (more, up to 400 rounds or 120 s, until the child has
/// reported over 1000 records durable: a slow machine needs more rounds to get that far); after
/// each kill the log is reopened here and checked against what the child reported: every record
/// it reported durable is there, in order and bit-exact, nothing unacknowledged was dropped, and
/// the cursor is not beyond the last acknowledgement it announced.
@Suite struct ProcessKillTests {
    /// EDGE_AGENT_BINARY (the Makefile sets it), else the edge-agent next to this test bundle.
    static var binary: String { ChildProcess.agentBinary }

    /// Same bytes as `LogCommand.stressPayload`.
    static func stressPayload(_ seq: UInt64) -> [UInt8] {
        let length = 1 + Int(seq &* 7919 % 200)
        return (0..<length).map { UInt8(truncatingIfNeeded: seq &* 31 &+ UInt64($0) &* 7) }
    }

    static func run(_ arguments: [String]) throws -> (Int32, String) {
        try ChildProcess.run(binary, arguments)
    }

    @Test func childKilledAtRandomMomentsLosesNothingItReportedDurable() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "no edge-agent at \(Self.binary)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ringlog-kill-\(getpid()).log").path
        defer { unlink(path) }
        let geometry = ["--size", "64K", "--sector", "4K"]
        let (status, output) = try Self.run(["log", "format", "--device", path] + geometry)
        #expect(status == 0, "\(output)")

        // The kill delays follow from the seed (printed; EDGE_TEST_SEED=N replays them).
        let seed = TestSeed.seed(for: "ProcessKillTests")
        var generator = SeededGenerator(seed: seed)
        var durableEver: UInt64 = 0
        var acknowledgedEver: UInt64 = 0
        var killedWhileWorking = 0
        let overallDeadline = Date().addingTimeInterval(120)
        var round = 0
        while round < 55 || (durableEver <= 1000 && round < 400 && Date() < overallDeadline) {
            defer { round += 1 }
            let child = Process()
            child.executableURL = URL(fileURLWithPath: Self.binary)
            child.arguments = ["log", "stress", "--device", path] + geometry
            let pipe = Pipe()
            child.standardOutput = pipe
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Wait until the child has opened the log (even rounds) or reported its first sync
            // (odd rounds), then let it run a random while: kills land during recovery-free
            // start-up, appends, syncs, checkpoints and sector changes alike.
            let marker = round % 2 == 0 ? "open " : "durable "
            var data = Data()
            let deadline = Date().addingTimeInterval(10)
            while !String(decoding: data, as: UTF8.self).contains(marker) && Date() < deadline {
                let chunk = pipe.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
            }
            usleep(UInt32.random(in: 0...30_000, using: &generator))
            kill(child.processIdentifier, SIGKILL)
            data.append(pipe.fileHandleForReading.readDataToEndOfFile())
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal, "seed \(seed), round \(round): the child exited on its own")
            // Whole lines only: the last one may have been cut by the kill.
            var text = String(decoding: data, as: UTF8.self)
            if let lastNewline = text.lastIndex(of: "\n") { text = String(text[...lastNewline]) } else { text = "" }
            var sawDurable = false
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let n = UInt64(parts[1]) else { continue }
                if parts[0] == "durable" { durableEver = max(durableEver, n); sawDurable = true }
                if parts[0] == "ack" { acknowledgedEver = max(acknowledgedEver, n) }
            }
            if sawDurable { killedWhileWorking += 1 }

            let device = try FileFlashDevice(path: path, geometry: FlashGeometry(size: 65536, sectorSize: 4096))
            var log = try RingLog(device: device, clock: ManualClock(), options: RingLogOptions())
            let records = try LogTestSupport.readAll(&log)
            var previous: UInt64?
            for (seq, bytes) in records {
                if let previous, seq != previous + 1 { Issue.record("seed \(seed), round \(round): \(seq) after \(previous)") }
                previous = seq
                if bytes != Self.stressPayload(seq) { Issue.record("seed \(seed), round \(round): record \(seq) corrupt") }
            }
            let newest = records.last?.0 ?? 0
            #expect(newest >= durableEver, "seed \(seed), round \(round): newest \(newest) but the child reported \(durableEver) durable")
            #expect(log.oldestSequence <= acknowledgedEver + 1, "seed \(seed), round \(round): unacknowledged records missing")
            #expect(log.statistics().droppedRecords == 0, "seed \(seed), round \(round)")
            #expect(log.acknowledgedSequence <= acknowledgedEver, "seed \(seed), round \(round): cursor \(log.acknowledgedSequence) beyond \(acknowledgedEver)")
        }
        #expect(killedWhileWorking >= 27, "seed \(seed): only \(killedWhileWorking) of \(round) kills hit a working child")
        #expect(durableEver > 1000, "seed \(seed): only \(durableEver) records reported durable in \(round) rounds")
    }
}
