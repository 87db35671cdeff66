import EdgeCore
import Testing
import RingLogTestSupport
@testable import RingLog

/// Damage that is not a clean cut: a write torn part-way with half-programmed garbage after it,
/// and bits flipped in written records, sector headers and erased space. Nothing corrupt is
/// ever returned, the damage is counted, and the log keeps working.
@Suite struct TornWriteAndBitFlipTests {
    typealias Log = LogTestSupport.MemoryLog

    /// 30 synced records on a 4×512 device; returns the device.
    static func filled() throws -> MemoryFlashDevice {
        let device = LogTestSupport.device()
        var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
        for i in 1...30 {
            try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i)))
            if i % 5 == 0 { try log.sync() }
        }
        return device
    }

    static func open(_ device: MemoryFlashDevice) throws -> Log {
        try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
    }

    static func checkReadable(_ log: inout Log, _ label: String) throws -> [(UInt64, [UInt8])] {
        let records = try LogTestSupport.readAll(&log)
        var previous: UInt64 = 0
        for (seq, bytes) in records {
            #expect(seq > previous, "\(label): order")
            previous = seq
            #expect(bytes == LogTestSupport.payload(seq), "\(label): record \(seq) corrupt")
        }
        return records
    }

    @Test func tornWriteWithGarbageIsCutAndTheLogContinuesInANewSector() throws {
        for keep in [0, 1, 5, 15, 17, 40] {
            let device = LogTestSupport.device()
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            for i in 1...6 { try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i))) }
            try log.sync()
            for i in 7...9 { try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i))) }
            device.tearNextProgram(keeping: keep, garbageSeed: 0xDEAD_BEEF &+ UInt64(keep))
            #expect(throws: RingLogError.self) { try log.sync() }
            #expect(throws: RingLogError.self) { try LogTestSupport.append(&log, [1]) }  // failed until reopened
            device.restorePower()
            var reopened = try Self.open(device)
            let records = try Self.checkReadable(&reopened, "keep \(keep)")
            #expect(records.map(\.0).prefix(6) == [1, 2, 3, 4, 5, 6], "keep \(keep)")
            #expect(records.count <= 9)
            let next = reopened.nextAppendSequence
            try LogTestSupport.append(&reopened, [42]); try reopened.sync()
            #expect(try LogTestSupport.readAll(&reopened, from: next).map(\.1) == [[42]], "keep \(keep)")
        }
    }

    @Test func everyBitFlipInWrittenBytesIsDetectedNeverReturned() throws {
        let pristine = try Self.filled()
        var flips = 0
        // Every 7th byte of the written area (all bytes × 8 bits would take too long in debug).
        for offset in stride(from: 0, to: 2048, by: 7) where pristine.byte(at: offset) != 0xFF {
            let device = try Self.filled()
            device.flipBit(at: offset, bit: offset % 8)
            flips += 1
            do {
                var log = try Self.open(device)
                let records = try Self.checkReadable(&log, "flip at \(offset)")
                #expect(records.count >= 1 || offset % 512 < SectorHeader.size)
            } catch {
                Issue.record("flip at \(offset): open failed: \(error)")
            }
        }
        #expect(flips > 100)
    }

    @Test func flipInASectorHeaderSkipsThatSectorAndCountsIt() throws {
        let device = try Self.filled()
        device.flipBit(at: 512 + 30, bit: 3)  // sector 1's header
        var log = try Self.open(device)
        let records = try Self.checkReadable(&log, "header flip")
        #expect(log.statistics().corruptSectors == 1)
        #expect(records.count > 0)
        #expect(records.last?.0 == 30)
    }

    @Test func damagedNewestHeaderNeverLeadsToReusedSequenceNumbers() throws {
        let device = LogTestSupport.device()
        var newestSector = 0
        do {
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            for i in 1...12 { try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i))) }
            try log.sync()
            newestSector = log.head
            #expect(log.tail != newestSector)
        }
        device.flipBit(at: newestSector * 512 + 40, bit: 2)  // base wall time field: header CRC fails
        var log = try Self.open(device)
        #expect(log.statistics().corruptSectors == 1)
        #expect(log.nextAppendSequence == 13, "the damaged sector's numbers must not be handed out again")
        let records = try Self.checkReadable(&log, "damaged head")
        #expect(records.count > 0 && records.count < 12)
        try LogTestSupport.append(&log, [7]); try log.sync()
        #expect(try LogTestSupport.readAll(&log, from: 13).map(\.0) == [13])
        var reopened = try Self.open(device)
        #expect(try LogTestSupport.readAll(&reopened, from: 13).map(\.0) == [13])
    }

    @Test func flipInErasedSpaceMakesTheLogMoveOnInsteadOfWritingOverIt() throws {
        let device = LogTestSupport.device()
        do {
            var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
            for i in 1...3 { try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i))) }
            try log.sync()
        }
        device.flipBit(at: 500, bit: 0)  // erased tail of the head sector (sector 0)
        var log = try Self.open(device)
        let records = try Self.checkReadable(&log, "erased flip")
        #expect(records.map(\.0) == [1, 2, 3])
        for i in 4...8 { try LogTestSupport.append(&log, LogTestSupport.payload(UInt64(i))) }
        try log.sync()  // would throw notErased if it wrote over the disturbed byte
        #expect(try LogTestSupport.readAll(&log).map(\.0) == Array(1...8))
    }

    @Test func corruptionFoundWhileReadingIsSkippedAndCounted() throws {
        let device = try Self.filled()
        var log = try Log(device: device, clock: ManualClock(), options: LogTestSupport.options())
        // Damage a record in the oldest sector after open (recovery saw it intact).
        let target = log.tail * 512 + SectorHeader.size + 20
        device.flipBit(at: target, bit: 1)
        let records = try LogTestSupport.readAll(&log)
        for (seq, bytes) in records { #expect(bytes == LogTestSupport.payload(seq)) }
        #expect(log.statistics().corruptRecords == 1)
        #expect(records.last?.0 == 30)
    }
}
