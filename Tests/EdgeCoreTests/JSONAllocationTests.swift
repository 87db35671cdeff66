import EdgeCore
import Testing
import TestSupport

/// The JSON hot paths allocate nothing once warmed up: building an MQTT-style payload with
/// JSONWriter, and pulling every token of a document (with unescaping and number conversion)
/// with JSONReader.
@Suite struct JSONAllocationTests {
    static let deviceKeys: [StaticString] = ["meter-\u{2}\"0", "meter-1", "meter-2", "meter-3"]
    static let pointNames: [StaticString] = ["voltage", "current", "power", "energy", "frequency", "temperature"]

    /// A measurepoint.post-like payload: ids, timestamps, floats, ints, strings, nesting.
    static func buildPayload(_ w: inout JSONWriter, id: UInt64, time: Int64, values: UnsafeBufferPointer<Double>,
                             status: Float) throws(JSONWriterError) {
        w.reset()
        try w.beginObject()
        try w.key("id"); try w.value(id)
        try w.key("version"); try w.value("1.0")
        try w.key("method"); try w.value("thing.measurepoint.post.batch")
        try w.key("params"); try w.beginArray()
        for device in 0..<4 {
            try w.beginObject()
            try w.key("deviceKey"); try w.value(deviceKeys[device])
            try w.key("time"); try w.value(time + Int64(device))
            try w.key("measurepoints"); try w.beginObject()
            // Index loops: `enumerated()` and Float literals allocate in debug builds (generic
            // code not specialised at -Onone), which would hide what the writer does.
            for i in 0..<pointNames.count {
                try w.key(pointNames[i]); try w.value(values[(device + i) % values.count])
            }
            try w.key("status"); try w.value(status)
            try w.key("ok"); try w.value(true)
            try w.key("note"); try w.null()
            try w.endObject()
            try w.endObject()
        }
        try w.endArray()
        try w.endObject()
    }

    @Test func writerBuildsPayloadsWithoutAllocating() throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        let values = UnsafeMutableBufferPointer<Double>.allocate(capacity: 8)
        defer { values.deallocate() }
        for i in 0..<8 { values[i] = [230.15, 4.017, -1250.5, 1.23456789e7, 49.98, 0.1 + 0.2, 1e-9, 6.02e23][i] }
        var w = JSONWriter(buffer: buffer)
        let status = Float(23.4)
        try Self.buildPayload(&w, id: 1, time: 1_700_000_000_000, values: UnsafeBufferPointer(values), status: status)
        let counted = try AllocationCounter.count { () throws(JSONWriterError) in
            for n in 0..<200 {
                try Self.buildPayload(&w, id: UInt64(n), time: 1_700_000_000_000 + Int64(n), values: UnsafeBufferPointer(values), status: status)
            }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(w.isComplete)
        #expect(w.count > 500)
    }

    @Test func readerTokenLoopDoesNotAllocate() throws {
        let text = #"""
        {"id": "123", "method": "thing.service.measurepoint.set", "params": {
          "meter-\u0031": {"setpoint": 42.5, "limit": -17, "enabled": true, "mode": "auto\tmode",
                           "big": 18446744073709551615, "list": [1, 2.5e3, null, false, "\u20ac"]}},
          "version": "1.0", "nested": [[[{"a": [{}]}]]]}
        """#
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: text.utf8.count, alignment: 1)
        defer { bytes.deallocate() }
        _ = bytes.initializeMemory(as: UInt8.self, from: text.utf8)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
        defer { scratch.deallocate() }
        let input = UnsafeRawBufferPointer(bytes)

        func pull() throws(JSONError) -> (tokens: Int, sum: Double) {
            var reader = JSONReader(input)
            var tokens = 0
            var sum = 0.0
            while true {
                let t = try reader.next()
                tokens += 1
                switch t.kind {
                case .key, .string:
                    sum += Double(try reader.string(t, into: scratch))
                    if reader.equals(t, "setpoint") { sum += 1 }
                case .number:
                    sum += try reader.double(t)
                    if t.isInteger {
                        // Only conversions that succeed: a throw is not counted here (see below).
                        if input[t.range.lowerBound] == UInt8(ascii: "-") {
                            sum += Double(try reader.int64(t) % 5)
                        } else {
                            let u = try reader.uint64(t)
                            sum += Double(u % 7)
                            if u <= UInt64(Int64.max) { sum += Double(try reader.int64(t) % 5) }
                        }
                    }
                case .endOfDocument:
                    return (tokens, sum)
                default:
                    _ = reader.location(of: t)
                }
            }
        }
        let warm = try pull()
        var last = warm
        let counted = try AllocationCounter.count { () throws(JSONError) in
            for _ in 0..<200 { last = try pull() }
        }
        #expect(counted.allocations == 0, "\(counted)")
        #expect(last.tokens == warm.tokens && last.tokens > 40)
        // Errors are not counted here: Swift Testing hooks every throw (swift_willThrow) to keep
        // a backtrace, which allocates in the test process though not in the firmware.
    }
}
