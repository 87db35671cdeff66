import EdgeCore
import FieldBus
import StoreForward
import Testing

/// A sample with device quality flags (IEC 104's IV/NT/SB…) survives the ring-log record: its
/// flags, its value and the device's time stamp come back as stored.
@Suite struct FlaggedQualityRecordTests {
    @Test func flaggedSamplesRoundTripThroughTheRecord() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { buffer.deallocate() }
        var writer = SampleRecordWriter(buffer: buffer)
        let samples = [
            Sample(device: 0, point: 3, value: .double(-150), quality: .flagged(0x06), time: WallTime(milliseconds: 1_767_225_600_250)),
            Sample(device: 0, point: 1, value: .bool(true), quality: .flagged(0x01), time: WallTime(milliseconds: 1_767_225_600_300)),
        ]
        var appended = 0
        for s in samples where writer.append(s) { appended += 1 }
        #expect(appended == 2)
        var reader = try SampleRecordReader(writer.bytes)
        var back: [Sample] = []
        while let s = try reader.next() { back.append(s) }
        #expect(back == samples)
    }
}
