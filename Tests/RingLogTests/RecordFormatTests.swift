import EdgeCore
import Testing
import RingLogTestSupport
@testable import RingLog

/// The on-flash framing as a pure codec: headers and records round-trip, and every kind of
/// damage is detected.
@Suite struct RecordFormatTests {
    static let header = SectorHeader(sectorSize: 512, sectorCount: 4, programUnit: 1, eraseCount: 3,
                                     sectorSequence: 7, baseSequence: 100, baseWallMilliseconds: 1_000_000,
                                     acknowledged: 90, droppedRecords: 1, droppedBytes: 2)

    @Test func sectorHeaderRoundTripsAndRejectsDamage() {
        var bytes = [UInt8](repeating: 0, count: SectorHeader.size)
        bytes.withUnsafeMutableBytes { Self.header.encode(into: $0.baseAddress!) }
        #expect(bytes.withUnsafeBytes { SectorHeader.decode($0) } == .valid(Self.header))
        for i in 0..<SectorHeader.size {
            var damaged = bytes
            damaged[i] ^= 0x10
            let decoded = damaged.withUnsafeBytes { SectorHeader.decode($0) }
            #expect(decoded == .corrupt, "flip in byte \(i) gave \(decoded)")
        }
        let erased = [UInt8](repeating: 0xFF, count: SectorHeader.size)
        #expect(erased.withUnsafeBytes { SectorHeader.decode($0) } == .erased)
    }

    @Test func overheadIsSixteenBytesPaddedToFour() {
        #expect(RecordFormat.framedSize(payload: 0) == 16)
        #expect(RecordFormat.framedSize(payload: 64) == 80)
        #expect(RecordFormat.framedSize(payload: 512) == 528)
        #expect(RecordFormat.framedSize(payload: 61) == 80)
    }

    /// A sector image with three records; returns it and where each record starts.
    static func image() -> [UInt8] {
        var image = [UInt8](repeating: 0xFF, count: 512)
        image.withUnsafeMutableBytes { raw in
            header.encode(into: raw.baseAddress!)
            var at = SectorHeader.size
            for i in 0..<3 {
                let payload = LogTestSupport.payload(UInt64(100 + i))
                at += payload.withUnsafeBytes {
                    RecordFormat.encode(into: raw.baseAddress! + at, kind: RecordFormat.dataKind, sectorSequence: 7,
                                        sequence: UInt64(100 + i), sequenceDelta: UInt32(i), timeDelta: Int32(i * 10),
                                        payload: $0)
                }
            }
        }
        return image
    }

    static func scan(_ image: [UInt8]) -> [ScannedRecord] {
        image.withUnsafeBytes { raw in
            var scanner = RecordScanner(image: raw, header: header, programUnit: 1)
            var out: [ScannedRecord] = []
            while true {
                let step = scanner.next()
                out.append(step)
                switch step {
                case .end, .corrupt: return out
                default: continue
                }
            }
        }
    }

    @Test func scannerReturnsRecordsThenEnd() {
        let steps = Self.scan(Self.image())
        #expect(steps.count == 4)
        guard case .data(let seq, _, let length, let wall) = steps[1] else { Issue.record("\(steps)"); return }
        #expect(seq == 101)
        #expect(length == LogTestSupport.payload(101).count)
        #expect(wall == 1_000_010)
        guard case .end = steps[3] else { Issue.record("\(steps)"); return }
    }

    @Test func everySingleBitFlipInARecordIsDetected() {
        let image = Self.image()
        let steps = Self.scan(image)
        guard case .data(_, let offset, let length, _) = steps[1] else { Issue.record("\(steps)"); return }
        for byte in offset..<(offset + 16 + length) {
            for bit in 0..<8 {
                var damaged = image
                damaged[byte] ^= UInt8(1) << UInt8(bit)
                let result = Self.scan(damaged)
                // The first record survives; the damaged one is never returned as data.
                #expect(result.count == 2, "flip at \(byte).\(bit)")
                if case .corrupt(let at) = result.last { #expect(at == offset) } else {
                    Issue.record("flip at \(byte).\(bit) not detected: \(result)")
                }
            }
        }
    }

    @Test func recordFromAnotherSectorLifeFailsTheCRC() {
        var other = Self.header
        other.sectorSequence = 8
        let image = Self.image()
        let steps = image.withUnsafeBytes { raw -> ScannedRecord in
            var scanner = RecordScanner(image: raw, header: other, programUnit: 1)
            return scanner.next()
        }
        #expect(steps == .corrupt(offset: SectorHeader.size))
    }
}
