import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing
import TestSupport

/// The steady state allocates nothing, against mosquitto through the cloud simulator: building a
/// batch, publishing it and handling its `_reply`; receiving commands, decoding them and replying.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayAllocationTests {
    @Test func publishAndReplyCycleAllocatesNothing() throws {
        #expect(AllocationCounter.isActive)
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = GatewayPublishTests.connected(cloud, CloudHarness.configuration(), &seen)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        let pointNames = (0..<10).map { "point\($0)" }
        let sub = CloudHarness.subDevices[0]
        var replies = 0
        var good = 0
        var failures = 0
        func cycle(_ gateway: inout CloudHarness.Gateway, _ n: Int) {
            guard var m = try? gateway.makeMeasurepointMessage(.measurepointPostBatch, buffer: buffer) else { failures += 1; return }
            for e in 0..<5 {
                m.beginEntry(productKey: sub.productKey, deviceKey: sub.deviceKey, timeMilliseconds: 1_700_000_000_000 + Int64(n * 5 + e))
                for k in 0..<pointNames.count { m.addPoint(pointNames[k], .double(Double(k) * 1.5 + Double(n)), quality: k % 3 == 0 ? 9 : nil) }
                if m.endEntry() != .added { failures += 1 }
            }
            let target = replies + 1
            guard case .sent = gateway.publish(&m, tag: UInt64(n), onEvent: { _ in }) else { failures += 1; return }
            var rounds = 0
            while replies < target && rounds < 500 {
                rounds += 1
                gateway.step(timeoutMilliseconds: 20) { event in
                    if case .reply(_, let tag, _, let code, _) = event, tag == UInt64(n) {
                        replies += 1
                        if code == 200 { good += 1 }
                    }
                }
            }
        }
        cycle(&gateway, 0)
        cycle(&gateway, 1)
        let counted = AllocationCounter.count {
            for n in 2..<52 { cycle(&gateway, n) }
        }
        #expect(failures == 0)
        #expect(replies == 52 && good == 52)
        #expect(counted.allocations == 0, "\(counted)")
    }

    @Test func commandDecodeAndReplyAllocatesNothing() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = GatewayPublishTests.connected(cloud, CloudHarness.configuration(), &seen)
        let handles = UnsafeMutableBufferPointer<EnOSReplyHandle>.allocate(capacity: 64)
        defer { handles.deallocate() }
        var received = 0
        var parameters = 0
        var replied = 0
        func inject(_ count: Int, from: Int) throws {
            for k in 0..<count {
                try cloud.command(["cmd": "inject", "productKey": "sPK", "deviceKey": "s1", "id": "c\(from + k)",
                                   "method": "thing.service.measurepoint.set", "params": ["limit": from + k, "mode": "eco"]])
            }
        }
        func serve(_ gateway: inout CloudHarness.Gateway, until target: Int) {
            var rounds = 0
            while received < target && rounds < 500 {
                rounds += 1
                gateway.step(timeoutMilliseconds: 20) { event in
                    guard case .command(let c) = event else { return }
                    for p in c.parameters() {
                        if case .integer = p.value { parameters += 1 }
                    }
                    handles.baseAddress!.advanced(by: received).initialize(to: c.replyHandle)
                    received += 1
                }
            }
            while replied < received {
                let h = handles[replied]
                if gateway.reply(to: h, code: 200, message: "", onEvent: { _ in }) == .sent { replied += 1 } else { break }
            }
        }
        try inject(2, from: 0)
        serve(&gateway, until: 2)
        try inject(40, from: 2)
        // Give the simulator time to publish them all before counting (the control calls allocate).
        _ = try cloud.waitForRecord(["kind": "command", "payload.id": "c41"])
        let counted = AllocationCounter.count {
            serve(&gateway, until: 42)
        }
        #expect(received == 42 && replied == 42 && parameters == 42)
        #expect(counted.allocations == 0, "\(counted)")
        _ = try cloud.waitForRecord(["kind": "command_reply", "payload.id": "c41"])
    }
}
