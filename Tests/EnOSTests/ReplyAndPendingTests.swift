import EdgeCore
import EnOS
import Testing

/// Reply decoding (ids, codes, partial login-batch results) and the pending-request table
/// (capacity, lookups by id and kind or packet id, deadlines).
@Suite struct ReplyAndPendingTests {
    @Test func loginBatchPartialSuccess() throws {
        let text = #"{"id":"12","code":723,"message":"sPK&s2 has error: Device is disable;","data":{"loginedSubDevices":[{"assetId":"a1","productKey":"sPK","deviceKey":"s1"}],"failedSubDevices":[{"productKey":"sPK","deviceKey":"s2"}]}}"#
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { b in
            let reply = try EnOSReply.decode(b)
            #expect(reply.id == 12)
            #expect(reply.code == 723)
            #expect(reply.message?.string == "sPK&s2 has error: Device is disable;")
            var results = reply.loginBatchResults()
            var ok: [String] = [], failed: [String] = []
            while let (_, dk) = results.logined.next() { ok.append(dk.string) }
            while let (_, dk) = results.failed.next() { failed.append(dk.string) }
            #expect(ok == ["s1"])
            #expect(failed == ["s2"])
        }
    }

    @Test func replyIdsThatAreNotOursDecodeAsNil() throws {
        for (text, id) in [(#"{"id":"abc","code":200,"data":{}}"#, UInt32?.none), (#"{"id":"4294967296","code":200}"#, nil),
                           (#"{"id":"4294967295","code":200}"#, UInt32.max)] {
            let bytes = Array(text.utf8)
            let reply = try bytes.withUnsafeBytes { try EnOSReply.decode($0) }
            #expect(reply.id == id)
        }
        let bytes = Array(#"{"id":"1","data":{}}"#.utf8)
        #expect(throws: EnOSMessageError.self) { try bytes.withUnsafeBytes { _ = try EnOSReply.decode($0) } }
    }

    @Test func pendingTableIsBoundedAndMatchesKind() {
        var table = EnOSPendingRequests(capacity: 2)
        let t0 = MonotonicInstant(nanoseconds: 1_000_000_000)
        let first = table.insert(.init(id: 1, kind: .measurepointPostBatch, tag: 10, deadline: t0.advanced(byMilliseconds: 100), packetId: 5))
        let second = table.insert(.init(id: 2, kind: .measurepointResumeBatch, tag: 20, deadline: t0.advanced(byMilliseconds: 50)))
        let third = table.insert(.init(id: 3, kind: .eventPost, tag: 30, deadline: t0))
        #expect(first && second && !third)
        let full = table.isFull
        #expect(full)
        let deadline = table.nextDeadline
        #expect(deadline == t0.advanced(byMilliseconds: 50))
        let otherTopic = table.remove(id: 1, kind: .measurepointResumeBatch)   // a reply on another topic
        #expect(otherTopic == nil)
        let expired = table.removeExpired(now: t0.advanced(byMilliseconds: 60))
        #expect(expired?.tag == 20)
        let none = table.removeExpired(now: t0.advanced(byMilliseconds: 60))
        #expect(none == nil)
        let byPacket = table.remove(packetId: 5)
        #expect(byPacket?.tag == 10)
        let count = table.count
        #expect(count == 0)
        let after = table.nextDeadline
        #expect(after == nil)
    }
}
