import EdgeCore
import EnOS
import Foundation
import Testing

/// `EnOSMeasurepointMessage`: the exact JSON of post / batch messages, quality objects, the size
/// limit with whole-entry rollback (so the caller splits), NaN left out.
@Suite struct MeasurepointMessageTests {
    func text(_ bytes: UnsafeRawBufferPointer?) -> String {
        guard let bytes else { return "<nil>" }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func batchWithSubDevicesGatewayAndQuality() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var m = try EnOSMeasurepointMessage(kind: .measurepointPostBatch, requestId: 42, buffer: buffer)
        m.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1700000000000)
        m.addPoint("temp", .double(50.5))
        m.addPoint("power", .float(23.4), quality: 9)
        m.addPoint("on", .bool(true))
        let label = Array("é\"x".utf8)
        label.withUnsafeBytes { _ = m.addPoint("label", .text($0)) }
        #expect(m.endEntry() == .added)
        m.beginEntry(timeMilliseconds: 1700000001000)
        m.addPoint("cpu", .int(-12))
        #expect(m.endEntry() == .added)
        let json = text(m.finish())
        #expect(json == #"{"id":"42","version":"1.0","method":"thing.measurepoint.post.batch","allowOfflineSubDevice":false,"skipInvalidMeasurepoints":false,"params":[{"productKey":"sPK","deviceKey":"s1","measurepoints":{"temp":50.5,"power":{"value":23.4,"quality":9},"on":1,"label":"é\"x"},"time":1700000000000},{"measurepoints":{"cpu":-12},"time":1700000001000}]}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
        #expect(m.entryCount == 2)
        #expect(m.pointCount == 5)
    }

    @Test func singleDevicePostHasObjectParams() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        var m = try EnOSMeasurepointMessage(kind: .measurepointResume, requestId: 7, buffer: buffer)
        m.beginEntry(timeMilliseconds: 1)
        m.addPoint("a", .uint(3))
        #expect(m.endEntry() == .added)
        #expect(m.beginEntry(timeMilliseconds: 2) == false)
        #expect(m.endEntry() == .misuse)
        #expect(text(m.finish()) == #"{"id":"7","version":"1.0","method":"thing.measurepoint.resume","params":{"measurepoints":{"a":3},"time":1}}"#)
    }

    @Test func nonFiniteValuesAreLeftOut() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { buffer.deallocate() }
        var m = try EnOSMeasurepointMessage(kind: .measurepointPost, requestId: 1, buffer: buffer)
        m.beginEntry(timeMilliseconds: 5)
        m.addPoint("a", .double(.nan))
        m.addPoint("b", .double(1))
        #expect(m.endEntry() == .added)
        #expect(m.skippedValues == 1)
        #expect(text(m.finish()) == #"{"id":"1","version":"1.0","method":"thing.measurepoint.post","params":{"measurepoints":{"b":1},"time":5}}"#)
    }

    /// 512 KB: entries are added until the next does not fit; the message is then exactly as
    /// before that entry, valid JSON, under the limit; the entry starts the next message.
    @Test func fullMessageRollsBackTheEntryThatDoesNotFit() throws {
        let limit = EnOSMeasurepointMessage.defaultMaximumBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 600 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        var m = try EnOSMeasurepointMessage(kind: .measurepointResumeBatch, requestId: 1, buffer: buffer)
        var added = 0
        var outcome = EnOSMeasurepointMessage.EntryOutcome.added
        var sample = 0
        while outcome == .added {
            m.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1700000000000 + Int64(sample))
            for p in 0..<20 { m.addPoint("point\(p)", .double(Double(sample) + 0.25), quality: p % 2 == 0 ? 9 : nil) }
            outcome = m.endEntry()
            if outcome == .added { added += 1; sample += 1 }
        }
        #expect(outcome == .full)
        #expect(m.entryCount == added)
        let finished = m.finish()
        let payload = try #require(finished)
        #expect(payload.count <= limit)
        #expect(payload.count > limit - 1024)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        let params = try #require(object["params"] as? [[String: Any]])
        #expect(params.count == added)
        #expect((params.last?["time"] as? Int64) == 1700000000000 + Int64(added - 1))
        // The next message takes the entry that did not fit.
        var next = try EnOSMeasurepointMessage(kind: .measurepointResumeBatch, requestId: 2, buffer: buffer)
        next.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1700000000000 + Int64(sample))
        next.addPoint("point0", .double(1))
        #expect(next.endEntry() == .added)
    }

    /// EnOS refuses a payload of 512 KiB or more (the SDKs check `>= 512 * 1024`, the broker
    /// answers 1008): filled to the last byte, a message is one byte short of that, also when
    /// the caller asks for more.
    @Test func aMessageFilledToTheLastByteStaysBelow512KiB() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        let letters = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        for asked in [EnOSMeasurepointMessage.defaultMaximumBytes, 512 * 1024, 1024 * 1024] {
            var m = try EnOSMeasurepointMessage(kind: .measurepointPostBatch, requestId: 1, buffer: buffer, maximumBytes: asked)
            func add(_ n: Int) -> EnOSMeasurepointMessage.EntryOutcome {
                letters.withUnsafeBytes { raw in
                    m.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1700000000000)
                    m.addPoint("v", .text(UnsafeRawBufferPointer(rebasing: raw[0..<n])))
                    return m.endEntry()
                }
            }
            // Entries one byte apart in size fill the room left to the last byte.
            while add(2000) == .added {}
            var n = 2000
            while n > 0 { if add(n) != .added { n -= 1 } }
            let finished = m.finish()
            let payload = try #require(finished)
            #expect(payload.count == 512 * 1024 - 1, "asked \(asked): \(payload.count) bytes")
            #expect((try? JSONSerialization.jsonObject(with: Data(payload))) != nil)
        }
    }

    @Test func entryLargerThanTheLimitIsTooLarge() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var m = try EnOSMeasurepointMessage(kind: .measurepointPostBatch, requestId: 1, buffer: buffer, maximumBytes: 300)
        m.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1)
        for p in 0..<50 { m.addPoint("p\(p)", .int(Int64(p))) }
        #expect(m.endEntry() == .tooLarge)
        #expect(m.finish() == nil)
        m.beginEntry(productKey: "sPK", deviceKey: "s1", timeMilliseconds: 1)
        m.addPoint("a", .int(1))
        #expect(m.endEntry() == .added)
        #expect(m.finish()!.count <= 300)
    }
}
