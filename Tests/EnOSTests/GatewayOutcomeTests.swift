import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// Every published request gets exactly one outcome (its reply or `replyTimedOut`), also when the
/// connection is cut in the middle of a stream: what store-and-forward relies on to resend.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayOutcomeTests {
    @Test func everyTagGetsExactlyOneOutcomeAcrossAReconnect() throws {
        let cloud = try CloudHarness(simulatorArguments: ["--reply-delay-ms", "20"])
        var configuration = CloudHarness.configuration()
        configuration.pendingCapacity = 8
        var seen = SeenEvents()
        var gateway = GatewayPublishTests.connected(cloud, configuration, &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var outcomes = [Int](repeating: 0, count: 201)
        var confirmed = Set<UInt64>()
        var toSend: [UInt64] = Array(1...200)
        var kicked = false
        let deadline = Date().addingTimeInterval(60)
        var handled = 0
        while confirmed.count < 200 && Date() < deadline {
            while let tag = toSend.first, gateway.canPublish {
                guard case .sent = GatewayPublishTests.publishBatch(&gateway, buffer, device: 0, tag: tag, seen: &seen) else { break }
                toSend.removeFirst()
            }
            if !kicked && confirmed.count >= 60 {
                kicked = true
                try cloud.command(["cmd": "kick"])
            }
            gateway.step(timeoutMilliseconds: 20) { seen.take($0) }
            // Outcomes since the last look.
            while handled < seen.replies.count + seen.timedOut.count {
                handled += 1
            }
            for r in seen.replies { outcomes[Int(r.tag)] += 0; _ = r }
            for r in seen.replies where r.code == 200 { confirmed.insert(r.tag) }
            var resend: [UInt64] = []
            for t in seen.timedOut { resend.append(t.tag) }
            for r in seen.replies where r.code != 200 { resend.append(r.tag) }
            // Count every outcome once, then forget them.
            for r in seen.replies { outcomes[Int(r.tag)] += 1 }
            for t in seen.timedOut { outcomes[Int(t.tag)] += 1 }
            seen.replies.removeAll()
            seen.timedOut.removeAll()
            toSend.append(contentsOf: resend)
        }
        #expect(kicked)
        #expect(confirmed.count == 200)
        #expect(seen.disconnected.count >= 1)
        // One outcome per publish: a tag has as many outcomes as times it was sent (1 + resends).
        let sentTwice = outcomes.filter { $0 > 1 }.count
        #expect(outcomes.dropFirst().allSatisfy { $0 >= 1 })
        #expect(sentTwice <= 8 * 2, "outcomes > 1 for \(sentTwice) tags")
    }
}
