import EdgeCore
import Testing
import RingLogTestSupport
@testable import RingLog

/// The log's everyday contract: sequence numbers, durability, reading, acknowledging, syncing on
/// its own, the full policies, statistics, and refusing what it must refuse.
@Suite struct RingLogBehaviourTests {
    typealias Log = LogTestSupport.MemoryLog

    @Test func appendsGetGapFreeSequenceNumbersThatSurviveReopen() throws {
        let device = LogTestSupport.device()
        let clock = ManualClock()
        do {
            var log = try Log(device: device, clock: clock, options: LogTestSupport.options())
            for i in 1...20 { #expect(try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i))) == UInt64(i)) }
            #expect(try log.sync() == 20)
        }
        var log = try Log(device: device, clock: clock, options: LogTestSupport.options())
        let records = try LogTestSupport.readAll(&log)
        #expect(records.map(\.0) == Array(1...20))
        for (seq, bytes) in records { #expect(bytes == LogTestSupport.payload(seq)) }
        #expect(try LogTestSupport.append(&log, [1, 2, 3]) == 21)
    }

    @Test func readersSeeOnlyDurableRecords() throws {
        var log = try Log(device: LogTestSupport.device(), clock: ManualClock(), options: LogTestSupport.options())
        try LogTestSupport.append(&log, [1])
        #expect(try LogTestSupport.readAll(&log).isEmpty)
        #expect(log.durableSequence == nil)
        try log.sync()
        #expect(try LogTestSupport.readAll(&log).map(\.0) == [1])
    }

    @Test func unsyncedAppendsAreLostOnReopenAndTheirNumbersReused() throws {
        let device = LogTestSupport.device()
        do {
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            try LogTestSupport.append(&log, [1]); try log.sync()
            try LogTestSupport.append(&log, [2])  // never synced, never visible
        }
        var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
        #expect(log.nextAppendSequence == 2)
    }

    @Test func syncsOnItsOwnAfterTheIntervalOrByteThreshold() throws {
        let clock = ManualClock()
        var options = LogTestSupport.options()
        options.syncIntervalMilliseconds = 100
        var log = try Log(device: LogTestSupport.device(), clock: clock, options: options)
        try LogTestSupport.append(&log, [1])
        clock.advance(milliseconds: 99)
        try log.tick()
        #expect(log.durableSequence == nil)
        clock.advance(milliseconds: 1)
        try log.tick()
        #expect(log.durableSequence == 1)

        options.syncIntervalMilliseconds = 0
        options.syncBytes = 150  // the first sector header counts too (80 bytes)
        var bytesLog = try Log(device: LogTestSupport.device(), clock: clock, options: options)
        try LogTestSupport.append(&bytesLog, [UInt8](repeating: 7, count: 40))
        #expect(bytesLog.durableSequence == nil)
        try LogTestSupport.append(&bytesLog, [UInt8](repeating: 7, count: 40))
        #expect(bytesLog.durableSequence == 2)
    }

    @Test func acknowledgementIsCheckpointedAndRestoredNeverBeyond() throws {
        let device = LogTestSupport.device(sectors: 4, sectorSize: 1024)
        let clock = ManualClock()
        var options = LogTestSupport.options(checkpointEvery: 3)
        options.checkpointIntervalMilliseconds = 10_000
        do {
            var log = try Log(device: device, clock: clock, options: options)
            for _ in 0..<10 { try LogTestSupport.append(&log, [9, 9]) }
            try log.sync()
            try log.acknowledge(upTo: 2)
            try log.acknowledge(upTo: 4)
            try log.acknowledge(upTo: 6)  // third: checkpointed
            try log.acknowledge(upTo: 7)  // not yet
            try log.sync()
            #expect(log.statistics().persistedAcknowledgement == 6)
            #expect(throws: RingLogError.self) { try log.acknowledge(upTo: 11) }
        }
        do {
            var log = try Log(device: device, clock: clock, options: options)
            #expect(log.acknowledgedSequence == 6)
            #expect(log.statistics().unacknowledgedRecords == 4)
            try log.acknowledge(upTo: 8)
            clock.advance(milliseconds: 10_000)
            try log.tick()  // the interval checkpoints
            try log.sync()
        }
        let log = try Log(device: device, clock: clock, options: options)
        #expect(log.acknowledgedSequence == 8)
    }

    @Test func fullLogDropsTheOldestSectorAndCountsIt() throws {
        var log = try Log(device: LogTestSupport.device(sectors: 3, sectorSize: 256), clock: ManualClock(), options: LogTestSupport.options())
        let payload = [UInt8](repeating: 1, count: 40)  // 56 bytes framed: 3 per sector
        for _ in 0..<12 { try LogTestSupport.append(&log, payload) }
        try log.sync()
        let stats = log.statistics()
        #expect(stats.droppedRecords > 0)
        #expect(stats.droppedBytes == stats.droppedRecords * 40)
        #expect(stats.oldestSequence == stats.droppedRecords + 1)
        let records = try LogTestSupport.readAll(&log)
        #expect(records.first?.0 == stats.droppedRecords + 1)
        #expect(records.last?.0 == 12)
    }

    @Test func refusePolicyRefusesUntilAcknowledged() throws {
        var log = try Log(device: LogTestSupport.device(sectors: 3, sectorSize: 256), clock: ManualClock(),
                          options: LogTestSupport.options(whenFull: .refuseAppends))
        let payload = [UInt8](repeating: 1, count: 40)
        var refused = false
        var appended: UInt64 = 0
        for _ in 0..<12 {
            do throws(RingLogError) { appended = try LogTestSupport.append(&log, payload) } catch {
                #expect(error.kind == .full)
                refused = true
                break
            }
        }
        #expect(refused)
        #expect(log.statistics().droppedRecords == 0)
        #expect(log.statistics().refusedAppends == 1)
        try log.sync()
        try log.acknowledge(upTo: appended)
        #expect(try LogTestSupport.append(&log, payload) == appended + 1)
        #expect(try LogTestSupport.readAll(&log).first?.0 == 1 || log.oldestSequence > 1)
    }

    @Test func recordLargerThanTheMaximumIsRefused() throws {
        var log = try Log(device: LogTestSupport.device(), clock: ManualClock(), options: LogTestSupport.options())
        let big = [UInt8](repeating: 0, count: log.maximumPayload + 1)
        #expect(throws: RingLogError.self) { try LogTestSupport.append(&log, big) }
        #expect(try LogTestSupport.append(&log, [UInt8](repeating: 0, count: log.maximumPayload)) == 1)
    }

    @Test func maximumSizeRecordsFillSectorsBackToBack() throws {
        for policy in [FullPolicy.dropOldest, .refuseAppends] {
            let device = LogTestSupport.device(sectors: 3, sectorSize: 256)
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options(whenFull: policy))
            let big = [UInt8](repeating: 0xA5, count: log.maximumPayload)
            for i in 1...10 {
                let seq = try LogTestSupport.append(&log, big)
                try log.sync()
                try log.acknowledge(upTo: seq)
                #expect(seq == UInt64(i))
            }
            var reopened = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options(whenFull: policy))
            let records = try LogTestSupport.readAll(&reopened)
            #expect(records.last?.0 == 10)
            #expect(records.allSatisfy { $0.1 == big })
        }
    }

    @Test func foreignContentIsRefusedNotWiped() throws {
        let device = LogTestSupport.device()
        let junk: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 1, 2, 3, 4]
        junk.withUnsafeBytes { device.poke(at: 0, $0) }
        do {
            _ = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            Issue.record("opened foreign content")
        } catch {
            #expect(error.kind == .foreignContent)
            #expect(error.message.contains("memory"))
            #expect(error.message.contains("7f454c46"))
        }
        #expect(device.byte(at: 0) == 0x7F)
        var d = device
        try Log.format(&d, wall: WallTime(milliseconds: 0))
        _ = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
    }

    @Test func wrongGeometryIsRefusedNamingWhatWasFound() throws {
        let device = LogTestSupport.device(sectors: 4, sectorSize: 512)
        var d = device
        try Log.format(&d, wall: WallTime(milliseconds: 0))
        // The same bytes seen as 8 sectors of 256.
        let other = LogTestSupport.device(sectors: 8, sectorSize: 256)
        let image = [UInt8](unsafeUninitializedCapacity: 2048) { buffer, count in
            try? device.read(at: 0, into: UnsafeMutableRawBufferPointer(buffer)); count = 2048
        }
        image.withUnsafeBytes { other.poke(at: 0, $0) }
        do {
            _ = try Log(device: other, clock: ManualClock(), options: LogTestSupport.options())
            Issue.record("opened with the wrong geometry")
        } catch {
            #expect(error.kind == .wrongGeometry)
            #expect(error.message.contains("4 sectors of 512 bytes"), "\(error.message)")
        }
    }

    @Test func statisticsReportTimestampsUnacknowledgedBytesAndErases() throws {
        let clock = ManualClock()
        let device = LogTestSupport.device(sectors: 3, sectorSize: 256)
        var log = try Log(device: device, clock: clock, options: LogTestSupport.options())
        let start = clock.wallNow()
        for i in 0..<9 {
            try LogTestSupport.append(&log, [UInt8](repeating: UInt8(i), count: 10 + i))
            clock.advance(milliseconds: 1000)
        }
        try log.sync()
        try log.acknowledge(upTo: 4)
        let stats = log.statistics()
        #expect(stats.records == 9)
        #expect(stats.oldestSequence == 1 && stats.newestSequence == 9)
        #expect(stats.oldestTimestamp == start)
        #expect(stats.newestTimestamp == WallTime(milliseconds: start.milliseconds + 8000))
        #expect(stats.unacknowledgedRecords == 5)
        #expect(stats.unacknowledgedBytes == UInt64((4..<9).map { 10 + $0 }.reduce(0, +)))
        var cursor = RingLogCursor(from: 3)
        var buffer = [UInt8](repeating: 0, count: 64)
        let record = try buffer.withUnsafeMutableBytes { try log.read(&cursor, into: $0) }
        #expect(record?.timestamp == WallTime(milliseconds: start.milliseconds + 2000))
        for _ in 0..<12 { try LogTestSupport.append(&log, [UInt8](repeating: 1, count: 40)) }
        try log.sync()
        #expect((0..<3).map { log.eraseCount(sector: $0) }.reduce(0, +) >= 2)
        #expect(log.statistics().erasesSinceOpen >= 2)
    }

    @Test func timestampsSurviveWallClockJumpsBeyondTheSectorOffsetRange() throws {
        let clock = ManualClock()
        let device = LogTestSupport.device(sectors: 4, sectorSize: 1024)
        var expected: [Int64] = []
        do {
            var log = try Log(device: device, clock: clock, options: LogTestSupport.options())
            for step: Int64 in [0, 1_000, 40 * 86_400_000, -90 * 86_400_000, 5] {
                clock.setWall(WallTime(milliseconds: clock.wallNow().milliseconds + step))
                expected.append(clock.wallNow().milliseconds)
                try LogTestSupport.append(&log, [1, 2, 3])
            }
            try log.sync()
        }
        var log = try Log(device: device, clock: clock, options: LogTestSupport.options())
        var cursor = RingLogCursor(from: 1)
        var buffer = [UInt8](repeating: 0, count: 16)
        var got: [Int64] = []
        while let record = try buffer.withUnsafeMutableBytes({ try log.read(&cursor, into: $0) }) {
            got.append(record.timestamp.milliseconds)
        }
        #expect(got == expected)
    }

    @Test func bufferTooSmallLeavesTheCursorInPlace() throws {
        var log = try Log(device: LogTestSupport.device(), clock: ManualClock(), options: LogTestSupport.options())
        try LogTestSupport.append(&log, [UInt8](repeating: 5, count: 30))
        try log.sync()
        var cursor = RingLogCursor(from: 1)
        var small = [UInt8](repeating: 0, count: 10)
        #expect(throws: RingLogError.self) { _ = try small.withUnsafeMutableBytes { try log.read(&cursor, into: $0) } }
        #expect(cursor.nextSequence == 1)
        var big = [UInt8](repeating: 0, count: 64)
        #expect(try big.withUnsafeMutableBytes { try log.read(&cursor, into: $0) }?.length == 30)
    }

    @Test func nandProgramUnitPadsEverySyncToAPage() throws {
        let device = LogTestSupport.device(sectors: 4, sectorSize: 2048, unit: 256)
        var d = device
        try Log.format(&d, wall: WallTime(milliseconds: 0))
        do {
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            for i in 1...30 {
                try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i)))
                if i % 4 == 0 { try log.sync() }
            }
            try log.sync()
        }
        var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
        let records = try LogTestSupport.readAll(&log)
        #expect(records.last?.0 == 30)
        for (seq, bytes) in records { #expect(bytes == LogTestSupport.payload(seq)) }
    }
}
