import Agent
import EdgeAlarms
import EdgeCompute
import EdgeCore
import RingLog
import RingLogTestSupport
import StoreForward
import Testing
import TestSupport
@testable import Configuration

/// The ring log's power-cut sweep (`PowerCutSweep`, RingLogTests' `PowerCutSweepTests`) with the
/// alarm records the agent keeps in the log beside its samples (issue 14: nothing is lost over a
/// power cut at any byte of the ring-log workload). A workload of sample-sized records (1...60
/// bytes, first byte 1 or 2 like sample records) interleaved with real `AlarmRecord`s (raises and
/// clears of four rules capturing 0, 2, 5 and 8 points: 20, 38, 65 and 92 bytes, the largest the
/// codec makes) appended by `StoreAndForward.appendAlarm`, with syncs, acknowledgements,
/// checkpoints, drops and wrap-around on the 1 KiB device of four 256-byte sectors (a record never
/// straddles two sectors: one that does not fit in the head sector starts the next, so the large
/// alarm records keep meeting sector ends, rotation and reclaim); the power is
/// cut after every byte (and between each erase and the next write). After each cut the log is
/// reopened and checked: (a) the ring log's own promises; (b) every alarm record read back
/// decodes (`AlarmRecordView`) into the raise or clear appended there, and no sample record reads
/// as one; (c) the restart's recovery (`AlarmStation.recover` over
/// `StoreAndForward.forEachRetained`, as `AgentLoop.recoverAlarms` does) makes active exactly the
/// alarms the records the log kept imply (those up to the durable point at least), each with its
/// raise's time: a torn record neither raises nor clears anything. The choices (which rule, the
/// captured values, sample sizes) follow `TestSeed`.
@Suite struct AlarmRecordPowerCutSweepTests {
    /// One step of the workload; step i is the log's record i (a fresh log starts at 1).
    enum Step {
        case sample([UInt8])
        case alarm(AlarmTransition, [UInt8])

        var bytes: [UInt8] {
            switch self {
            case .sample(let b), .alarm(_, let b): return b
            }
        }
    }

    static let steps = 72

    static func configuration() throws -> AgentConfiguration {
        let points = (1...8).map { #"{"id": "p\#($0)", "table": "input", "address": \#($0), "type": "int16"}"# }
        let all = (1...8).map { "{p\($0)}" }.joined(separator: " ")
        let text = """
            {
              "buses": [{"name": "b", "type": "tcp", "host": "127.0.0.1", "port": 1502}],
              "templates": [{"name": "inv", "points": [\(points.joined(separator: ", "))]}],
              "devices": [{"name": "inverter-1", "template": "inv", "unit": 1, "bus": "b", "productKey": "pk", "deviceKey": "inv1"}],
              "cloud": {"host": "localhost", "port": 1883,
                        "gateway": {"productKey": "gpk", "deviceKey": "gdk", "deviceSecret": "gsecret"},
                        "subDevices": [{"device": "inverter-1", "deviceSecret": "s1"}]},
              "ringLog": {"path": "/tmp/x.log", "size": "1MiB", "sectorSize": "64KiB"},
              "alarms": [
                {"id": "offline", "device": "inverter-1", "offline": true, "level": "critical", "eventId": "offline"},
                {"id": "hot", "device": "inverter-1", "high": {"point": "p1", "limit": 80, "hysteresis": 5},
                 "level": "major", "message": "{p1} at {p2}", "eventId": "overTemp"},
                {"id": "mid", "device": "inverter-1", "condition": "p3 > 1", "level": "minor",
                 "message": "{p3} {p4} {p5} {p6} {p7}", "eventId": "mid"},
                {"id": "wide", "device": "inverter-1", "condition": "p1 + p2 > 0", "level": "info",
                 "message": "\(all)", "eventId": "wide"}
              ]
            }
            """
        return try AgentConfiguration.parse(Array(text.utf8), file: "agent.json", checkDevicePaths: false)
    }

    /// The workload's steps, drawn from `seed`: after the scripted first raise and clear of each
    /// rule, a third are alarm records (a rule's raise if it is not raised, else its clear; half
    /// the time the previous alarm's rule), the rest sample-sized records; captured values random,
    /// a quarter of them bad.
    static func script(seed: UInt64, _ alarms: AlarmSettings) -> [Step] {
        var random = SeededGenerator(seed: seed)
        let rules = alarms.rules
        let slots = max(alarms.slotCount, 1)
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: slots)
        let qualities = UnsafeMutableBufferPointer<InputQuality>.allocate(capacity: slots)
        let times = UnsafeMutableBufferPointer<Int64>.allocate(capacity: slots)
        let online = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 1)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: AlarmRecord.maximumSize, alignment: 8)
        defer {
            values.deallocate(); qualities.deallocate(); times.deallocate(); online.deallocate(); buffer.deallocate()
        }
        times.initialize(repeating: 0)
        online.initialize(repeating: true)
        var raised = [Bool](repeating: false, count: rules.count)
        var previous = 0
        var alarmCount = 0
        var steps: [Step] = []
        for i in 1...Self.steps {
            // The first eight alarm records (every other step) raise and clear each rule in turn,
            // so that every size and both kinds are there whatever the seed.
            let scripted = alarmCount < 2 * rules.count
            if scripted ? i % 2 == 0 : random.next() % 3 == 0 {
                for s in 0..<slots {
                    values[s] = Double(Int64(random.next() % 200_001) - 100_000) / 10
                    qualities[s] = random.next() % 4 == 0 ? .bad : .good
                }
                // Half the time the previous alarm's rule again, so that a raise and its clear
                // often sit in the few records the small log keeps.
                let r = scripted ? alarmCount / 2 : random.next() % 2 == 0 ? previous : Int(random.next() % UInt64(rules.count))
                previous = r
                alarmCount += 1
                let transition = AlarmTransition(rule: r, kind: raised[r] ? .clear : .raise, timeMilliseconds: 1_700_000_000_000 + Int64(i) * 7)
                raised[r].toggle()
                let inputs = AlarmInputs(values: UnsafeBufferPointer(values), qualities: UnsafeBufferPointer(qualities),
                                         times: UnsafeBufferPointer(times), online: UnsafeBufferPointer(online))
                let n = AlarmRecord.encode(transition, rules: rules, inputs: inputs, into: buffer)!
                steps.append(.alarm(transition, Array(buffer[0..<n])))
            } else {
                var bytes = LogTestSupport.payload(UInt64(i), salt: seed)
                bytes[0] = UInt8(1 + i % 2)
                steps.append(.sample(bytes))
            }
        }
        return steps
    }

    /// Appends the steps through a `StoreAndForward` (alarm records by `appendAlarm`), syncs every
    /// 3rd, reads and acknowledges every 5th up to nine behind the durable end (checkpoint at every
    /// acknowledgement), as `PowerCutSweepTests.run` does, then checkpoints and syncs.
    static func run(_ device: MemoryFlashDevice, _ steps: [Step], _ outcome: inout PowerCutOutcome) throws(RingLogError) -> RingLogStats {
        let clock = ManualClock()
        let log = try RingLog(device: device, clock: clock, options: PowerCutSweep.options())
        var store = MemoryStore(log: log, clock: clock, settings: PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 500,
                                                                                      resumeSamplesPerSecond: 1_000_000))
        defer { outcome.floor = store.log.oldestSequence }
        for (i, step) in steps.enumerated() {
            clock.advance(milliseconds: 7)
            let seq = store.log.nextAppendSequence
            precondition(seq == UInt64(i + 1))
            outcome.payloads[seq] = step.bytes
            switch step {
            case .sample(let bytes):
                try LogTestSupport.append(&store.log, bytes)
            case .alarm(let transition, let bytes):
                let result: Result<Void, RingLogError> = bytes.withUnsafeBytes { raw in
                    do throws(RingLogError) {
                        _ = try store.appendAlarm(raw, time: WallTime(milliseconds: transition.timeMilliseconds))
                        return .success(())
                    } catch { return .failure(error) }
                }
                try result.get()
            }
            precondition(store.log.nextAppendSequence == seq + 1, "step \(i + 1) was not appended")
            outcome.lastAppended = seq
            outcome.floor = store.log.oldestSequence
            if (i + 1) % 3 == 0 {
                outcome.durable = try store.log.sync()
            }
            if (i + 1) % 5 == 0, outcome.durable > 9 {
                let target = outcome.durable - 9
                if target > store.log.acknowledgedSequence {
                    _ = try LogTestSupport.readAll(&store.log, from: store.log.acknowledgedSequence + 1)
                    outcome.acknowledged = target
                    try store.log.acknowledge(upTo: target)
                }
            }
            outcome.floor = store.log.oldestSequence
            outcome.durable = max(outcome.durable, store.log.durableSequence ?? 0)
        }
        try store.log.checkpoint()
        outcome.durable = try store.log.sync()
        outcome.completed = true
        return store.log.statistics()
    }

    /// Reopens the log after cut `cut` and checks (a), (b) and (c); each problem recorded with the
    /// seed and the cut.
    static func check(_ device: MemoryFlashDevice, _ outcome: PowerCutOutcome, cut: Int, steps: [Step],
                      _ c: AgentConfiguration, seed: UInt64) {
        func problem(_ text: String) { Issue.record("seed \(seed) (EDGE_TEST_SEED=\(seed)) cut \(cut): \(text)") }
        let clock = ManualClock()
        var log: LogTestSupport.MemoryLog
        do throws(RingLogError) {
            log = try RingLog(device: device, clock: clock, options: PowerCutSweep.options())
        } catch {
            problem("reopen failed: \(error.message)")
            return
        }
        // (a) The ring log's promises.
        let (records, problems) = PowerCutSweep.checkRecords(&log, outcome)
        problems.forEach(problem)

        // (b) Alarm records read back whole, as appended; sample records never read as alarms.
        let rules = c.alarms.rules
        var expected = [Int64?](repeating: nil, count: rules.count)
        for (seq, bytes) in records {
            guard seq >= 1, seq <= UInt64(steps.count) else { continue }
            let decoded: Result<AlarmRecordView, AlarmRecordError> = bytes.withUnsafeBytes { raw in
                do throws(AlarmRecordError) { return .success(try AlarmRecordView(raw)) } catch { return .failure(error) }
            }
            switch (steps[Int(seq) - 1], decoded) {
            case (.sample, .failure(.notAnAlarmRecord)):
                break
            case (.sample, let other):
                problem("sample record \(seq) reads as an alarm record: \(other)")
            case (.alarm, .failure(let error)):
                problem("alarm record \(seq) does not decode: \(error)")
            case (.alarm(let t, _), .success(let view)):
                let r = rules.index(fingerprint: view.fingerprint, hint: view.ruleHint)
                if r != t.rule || view.kind != t.kind || view.timeMilliseconds != t.timeMilliseconds
                    || view.level != rules.rules[t.rule].level || view.valueCount != Int(rules.rules[t.rule].captureCount) {
                    problem("alarm record \(seq) reads as rule \(String(describing: r)) \(view.kind) at \(view.timeMilliseconds), appended: \(t)")
                }
                // The model: what the records kept imply.
                expected[t.rule] = t.kind == .raise ? t.timeMilliseconds : nil
            }
        }

        // (c) The restart's recovery over what the log holds.
        var store = MemoryStore(log: log, clock: clock, settings: PublishingSettings(batchSamples: 8, liveIntervalMilliseconds: 500,
                                                                                      resumeSamplesPerSecond: 1_000_000))
        var readFailure: RingLogError?
        let station = AlarmStation(c.alarms, devices: c.fieldBus.devices.count)
        let recovered = station.recover(sequenced: { apply in
            do throws(RingLogError) { try store.forEachRetainedRecord(apply) } catch { readFailure = error }
        })
        var recovery = AlarmRecovery(rules: rules)
        do throws(RingLogError) { try store.forEachRetained { recovery.apply(bytes: $0) } } catch { readFailure = error }
        if let readFailure { problem("replaying the retained records failed: \(readFailure.message)") }
        if recovered.unmatched != 0 || recovery.unreadableRecords != 0 {
            problem("recovery found \(recovered.unmatched) unmatched and \(recovery.unreadableRecords) unreadable records")
        }
        let active = (0..<rules.count).map { station.evaluator.raisedAt($0) }
        if active != expected || recovered.active != expected.compactMap({ $0 }).count {
            problem("recovery made active \(active) (\(recovered.active)), the records kept (\(records.first?.0 ?? 0)...\(records.last?.0 ?? 0), durable \(outcome.durable)) imply \(expected)")
        }

        if let text = PowerCutSweep.checkAppendsAfterRecovery(&store.log) { problem(text) }
    }

    static func sweep(_ name: String, dirty: Bool = false, unit: Int = 1, stride step: Int = 1) throws -> (cuts: Int, total: Int) {
        let seed = TestSeed.seed(for: "AlarmRecordPowerCutSweepTests.\(name)")
        let c = try configuration()
        let steps = script(seed: seed, c.alarms)
        let result = PowerCutSweep.sweep(unit: unit, dirty: dirty, stride: step,
            workload: { device, outcome throws(RingLogError) in try run(device, steps, &outcome) },
            check: { device, outcome, cut in check(device, outcome, cut: cut, steps: steps, c, seed: seed) })
        let sweep: (cuts: Int, total: Int, uncut: RingLogStats, device: MemoryFlashDevice)
        switch result {
        case .failure(let error):
            Issue.record("seed \(seed): workload failed without a cut: \(error.message)")
            return (0, 0)
        case .success(let s): sweep = s
        }
        // The workload did what the sweep needs: every record size, raises and clears, drops,
        // checkpoints and wrap-around.
        var sizes = Set<Int>()
        var kinds = Set<UInt8>()
        for case .alarm(let t, let bytes) in steps {
            sizes.insert(bytes.count)
            kinds.insert(t.kind.rawValue)
        }
        #expect(sizes == [20, 38, 65, AlarmRecord.maximumSize] && AlarmRecord.maximumSize == 92 && kinds == [1, 2],
                "seed \(seed): alarm record sizes \(sizes.sorted()), kinds \(kinds)")
        let stats = sweep.uncut
        #expect(stats.droppedRecords > 0, "seed \(seed): the workload must drop unacknowledged records")
        #expect(stats.checkpointsWritten > 2, "seed \(seed): the workload must checkpoint the cursor")
        #expect(sweep.device.totalErases >= 8, "seed \(seed): the workload must wrap around: \(sweep.device.totalErases) erases")
        return (sweep.cuts, sweep.total)
    }

    @Test func powerCutAtEveryByteKeepsAlarmRecordsWholeAndRecoversTheirAlarms() throws {
        let (cuts, total) = try Self.sweep("everyByte")
        #expect(total > 3000, "workload too small: \(total)")
        #expect(cuts >= total - 1, "cuts \(cuts) of \(total)")
    }

    /// Dirty cuts: the interrupted write leaves half-programmed garbage after what landed, an
    /// interrupted erase a half-erased sector (every 3rd offset, for time).
    @Test func dirtyPowerCutsNeverLetATornAlarmRecordRaiseOrClear() throws {
        let (cuts, total) = try Self.sweep("dirty", dirty: true, stride: 3)
        #expect(cuts >= total / 3 - 1, "cuts \(cuts) of \(total)")
    }
}
