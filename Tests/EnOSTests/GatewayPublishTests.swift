import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// Publishing measurepoints through the simulator: the reply comes back as an event with the
/// caller's tag; error codes pass through; data of a sub-device that is not logged in gets 1212;
/// no reply means `replyTimedOut`; a 512 KB batch is split and both halves are accepted.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayPublishTests {
    static func connected(_ cloud: CloudHarness, _ configuration: EnOSGatewayConfiguration = CloudHarness.configuration(),
                          _ seen: inout SeenEvents) -> CloudHarness.Gateway {
        var gateway = cloud.makeGateway(configuration)
        gateway.run(&seen) { $0.connected == 1 && $0.loggedIn.count + $0.loginFailed.count >= 3 }
        return gateway
    }

    static func publishBatch(_ gateway: inout CloudHarness.Gateway, _ buffer: UnsafeMutableRawBufferPointer, device: Int,
                             tag: UInt64, kind: EnOSRequestKind = .measurepointPostBatch, seen: inout SeenEvents) -> EnOSPublishResult {
        guard var m = try? gateway.makeMeasurepointMessage(kind, buffer: buffer) else { return .invalid }
        let sub = CloudHarness.subDevices[device]
        m.beginEntry(productKey: sub.productKey, deviceKey: sub.deviceKey, timeMilliseconds: 1_700_000_000_000 + Int64(tag))
        m.addPoint("voltage", .double(230.5), quality: 9)
        m.addPoint("on", .bool(true))
        _ = m.endEntry()
        return gateway.publish(&m, tag: tag) { seen.take($0) }
    }

    @Test func postBatchReplyCarriesTheTag() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = Self.connected(cloud, CloudHarness.configuration(), &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        let result = Self.publishBatch(&gateway, buffer, device: 0, tag: 77, seen: &seen)
        guard case .sent(let id) = result else { Issue.record("publish: \(result)"); return }
        let g1 = gateway.run(&seen) { $0.replies.contains { $0.tag == 77 } }
        #expect(g1)
        let reply = seen.replies.first { $0.tag == 77 }
        #expect(reply?.id == id && reply?.code == 200 && reply?.kind == .measurepointPostBatch)
        let record = try cloud.waitForRecord(["kind": "request", "payload.id": "\(id)"])
        #expect(record["replyCode"] as? Int == 200)
        #expect((record["problems"] as? [String])?.isEmpty == true)
        let params = (record["payload"] as? [String: Any])?["params"] as? [[String: Any]]
        #expect(params?.first?["deviceKey"] as? String == "s1")
        let points = params?.first?["measurepoints"] as? [String: Any]
        #expect((points?["voltage"] as? [String: Any])?["quality"] as? Int == 9)
        let g2 = gateway.pendingCount == 0
        #expect(g2)
    }

    @Test func errorCodesReachTheCaller() throws {
        let cloud = try CloudHarness(simulatorArguments: ["--login-code", "s3=723"])
        var seen = SeenEvents()
        var gateway = Self.connected(cloud, CloudHarness.configuration(), &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        // s3 is not logged in: the cloud refuses the whole batch with 1212.
        _ = Self.publishBatch(&gateway, buffer, device: 2, tag: 1, seen: &seen)
        try cloud.command(["cmd": "set_code", "method": "thing.measurepoint.resume.batch", "code": 1204])
        _ = Self.publishBatch(&gateway, buffer, device: 0, tag: 2, kind: .measurepointResumeBatch, seen: &seen)
        let g3 = gateway.run(&seen) { $0.replies.count >= 2 }
        #expect(g3)
        #expect(seen.replies.first { $0.tag == 1 }?.code == 1212)
        #expect(seen.replies.first { $0.tag == 2 }?.code == 1204)
        #expect(seen.replies.first { $0.tag == 2 }?.kind == .measurepointResumeBatch)
    }

    @Test func missingReplyTimesOutWithTheTag() throws {
        let cloud = try CloudHarness()
        var configuration = CloudHarness.configuration()
        configuration.replyTimeoutMilliseconds = 300
        var seen = SeenEvents()
        var gateway = Self.connected(cloud, configuration, &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        try cloud.command(["cmd": "drop_replies", "on": true])
        let result = Self.publishBatch(&gateway, buffer, device: 0, tag: 99, seen: &seen)
        guard case .sent(let id) = result else { Issue.record("publish: \(result)"); return }
        let started = Date()
        let g4 = gateway.run(&seen, seconds: 10) { !$0.timedOut.isEmpty }
        #expect(g4)
        #expect(Date().timeIntervalSince(started) >= 0.25)
        #expect(seen.timedOut.first?.id == id && seen.timedOut.first?.tag == 99)
        #expect(seen.replies.isEmpty)
        let g5 = gateway.pendingCount == 0
        #expect(g5)
    }

    @Test func windowFullWhenThePendingTableIsFull() throws {
        let cloud = try CloudHarness()
        var configuration = CloudHarness.configuration()
        configuration.pendingCapacity = 2
        var seen = SeenEvents()
        var gateway = Self.connected(cloud, configuration, &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        try cloud.command(["cmd": "pause_replies"])
        _ = Self.publishBatch(&gateway, buffer, device: 0, tag: 1, seen: &seen)
        _ = Self.publishBatch(&gateway, buffer, device: 0, tag: 2, seen: &seen)
        let g6 = Self.publishBatch(&gateway, buffer, device: 0, tag: 3, seen: &seen) == .windowFull
        #expect(g6)
        let g7 = !gateway.canPublish
        #expect(g7)
        try cloud.command(["cmd": "resume_replies"])
        let g8 = gateway.run(&seen) { $0.replies.count == 2 }
        #expect(g8)
        let g9 = gateway.canPublish
        #expect(g9)
    }

    /// More entries than 512 KB: the first message fills up to the limit, the entry that did not
    /// fit starts the second; the simulator accepts both (it answers 1008 above 512 KB).
    @Test func largeBacklogIsSplitAt512KB() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = Self.connected(cloud, CloudHarness.configuration(), &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 600 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        let total = 6000
        var next = 0
        var messages = 0
        var sizes: [Int] = []
        while next < total {
            var m = try gateway.makeMeasurepointMessage(.measurepointResumeBatch, buffer: buffer)
            while next < total {
                let sub = CloudHarness.subDevices[next % 2]
                m.beginEntry(productKey: sub.productKey, deviceKey: sub.deviceKey, timeMilliseconds: 1_700_000_000_000 + Int64(next))
                for p in 0..<8 { m.addPoint("point\(p)", .double(Double(next) / 7), quality: 9) }
                if m.endEntry() != .added { break }
                next += 1
            }
            messages += 1
            let result = gateway.publish(&m, tag: UInt64(messages)) { seen.take($0) }
            guard case .sent = result else { Issue.record("publish \(messages): \(result)"); return }
            sizes.append(m.byteCount)
            let g10 = gateway.run(&seen, seconds: 10) { $0.replies.count == messages }
            #expect(g10)
        }
        #expect(messages >= 2)
        #expect(sizes.allSatisfy { $0 <= EnOSMeasurepointMessage.defaultMaximumBytes })
        // Every message but the last was filled up to the limit (less than one entry short).
        #expect(sizes.dropLast().allSatisfy { $0 > EnOSMeasurepointMessage.defaultMaximumBytes - 1024 }, "\(sizes)")
        #expect(seen.replies.allSatisfy { $0.code == 200 }, "\(seen.replies.map { $0.code })")
        let requests = try cloud.records(kind: "request").filter { $0["method"] as? String == "thing.measurepoint.resume.batch" }
        let entries = requests.reduce(0) { $0 + ((($1["payload"] as? [String: Any])?["params"] as? [Any])?.count ?? 0) }
        #expect(entries == total)
    }

    @Test func eventStateDeltaAndInformAreAcceptedWithTheirTags() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = Self.connected(cloud, CloudHarness.configuration(), &seen)
        let e = gateway.postEvent("overTemp", timeMilliseconds: 1_700_000_000_000, tag: 11, outputs: { (w: inout JSONWriter) throws(JSONWriterError) in
            try w.key("temp")
            try w.value(120.5)
        }, onEvent: { seen.take($0) })
        let s = gateway.postConnectionState(subDevice: 1, state: .disconnected, tag: 12) { seen.take($0) }
        let i = gateway.informVersion("1.0.1", tag: 13) { seen.take($0) }
        #expect(e != .notConnected && s != .notConnected && i != .notConnected)
        let done = gateway.run(&seen) { seen in [11, 12, 13].allSatisfy { tag in seen.replies.contains { $0.tag == UInt64(tag) } } }
        #expect(done)
        #expect(seen.replies.filter { $0.tag >= 11 }.allSatisfy { $0.code == 200 })
        for method in ["thing.event.overTemp.post", "connection.state.post", "ota.device.inform"] {
            let requests = try cloud.records(kind: "request").filter { $0["method"] as? String == method }
            #expect(!requests.isEmpty, "no \(method)")
            #expect(requests.allSatisfy { ($0["problems"] as? [String])?.isEmpty == true }, "\(requests)")
        }
        let delta = try cloud.records(kind: "request").last { $0["method"] as? String == "connection.state.post" }
        let params = (delta?["payload"] as? [String: Any])?["params"] as? [String: Any]
        #expect(params?["isFull"] as? Bool == false)
        #expect((params?["nodes"] as? [[String: Any]])?.first?["nodeId"] as? String == "s2")
    }
}
