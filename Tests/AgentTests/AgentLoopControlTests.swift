import Agent
import EdgeCore
import FieldBus
import Testing
@testable import CloudLink

/// Cloud commands in the loop: a write goes to the bus of its device, the command is answered once
/// all its writes are done (the first failure is the answer), at its TTL's deadline it is answered
/// expired (the loop wakes for it) and a late result is ignored; an offline device or a full bus
/// queue is answered without writing; a get answers the latest good values.
@Suite struct AgentLoopControlTests {
    static func set(id: UInt32, device: Int, _ values: [(point: Int, value: Int64)]) -> ControlRequest {
        var r = ControlRequest(kind: .set, id: id, device: device)
        for v in values { _ = r.append(point: v.point, value: .int(v.value)) }
        return r
    }

    /// The harness with d1 (bus b1) online, d0 (bus b0) offline.
    static func online(ttl: Int = 1_000) throws -> LoopHarness {
        var h = try LoopHarness(configText: LoopHarness.configText(commandTtlMs: ttl))
        h.connect()
        h.buses[0].deliver(.deviceOffline(device: 0, time: h.clock.wallNow(), cause: .timeout, detail: nil))
        h.buses[1].deliver(.deviceOnline(device: 1, time: h.clock.wallNow()))
        h.turn()
        return h
    }

    static func complete(_ h: borrowing LoopHarness, bus: Int, write: Int, _ outcome: WriteOutcome = .ok) {
        let w = h.buses[bus].writes[write]
        h.buses[bus].deliver(.writeCompleted(id: w.id, device: w.device, point: w.point, outcome: outcome))
    }

    @Test func aCloudWriteGoesToTheBusOfItsDeviceAndIsAnsweredWhenAllItsWritesAreDone() throws {
        var h = try Self.online()
        h.loop.uplink.commands.append(Self.set(id: 7, device: 1, [(0, 5), (1, 6)]))
        h.turn()
        #expect(h.buses[0].writes.isEmpty)
        let writes = h.buses[1].writes
        #expect(writes.map(\.device) == [1, 1])
        #expect(writes.map(\.point) == [0, 1])
        #expect(writes.map(\.value) == [.int(5), .int(6)])
        #expect(h.loop.uplink.replies.isEmpty)
        Self.complete(h, bus: 1, write: 0)
        h.turn()
        #expect(h.loop.uplink.replies.isEmpty, "answered before its second write was done")
        Self.complete(h, bus: 1, write: 1)
        h.turn()
        #expect(h.loop.uplink.replies.map(\.id) == [7])
        #expect(h.loop.uplink.replies.map(\.code) == [200])
    }

    @Test func theFirstFailedWriteIsTheAnswer() throws {
        var h = try Self.online()
        h.loop.uplink.commands.append(Self.set(id: 8, device: 1, [(0, 5), (1, 6)]))
        h.turn()
        Self.complete(h, bus: 1, write: 0, .failed(.timeout))
        Self.complete(h, bus: 1, write: 1, .verificationMismatch)
        h.turn()
        #expect(h.loop.uplink.replies.map(\.code) == [ControlError.writeFailed.code])
    }

    @Test func aCommandNotDoneWithinItsTTLIsAnsweredExpiredAtTheDeadlineAndItsLateResultIgnored() throws {
        // 1,050 ms: not a multiple of the group commit's 100 ms, whose wake-ups would hide a
        // loop that does not wake for the deadline.
        var h = try Self.online(ttl: 1_050)
        h.loop.uplink.commands.append(Self.set(id: 9, device: 1, [(0, 5)]))
        h.turn()   // the command is taken after this turn's wait: its TTL runs from now
        let start = h.now
        #expect(h.loop.uplink.replies.isEmpty)
        while h.loop.uplink.replies.isEmpty && h.now < start + 10_000 { h.turn() }
        #expect(h.loop.uplink.replies.map(\.code) == [ControlError.expired.code])
        #expect(h.now == start + 1_050, "answered expired at +\(h.now - start) ms")
        Self.complete(h, bus: 1, write: 0)
        h.turn()
        #expect(h.loop.uplink.replies.count == 1)
        #expect(h.loop.control.active == 0)
    }

    @Test func aCommandForAnOfflineDeviceIsRefusedWithoutWriting() throws {
        var h = try Self.online()
        h.loop.uplink.commands.append(Self.set(id: 10, device: 0, [(0, 5)]))
        h.turn()
        #expect(h.buses[0].writes.isEmpty && h.buses[1].writes.isEmpty)
        #expect(h.loop.uplink.replies.map(\.code) == [ControlError.deviceOffline.code])
    }

    @Test func aFullBusQueueIsAnsweredBusy() throws {
        var h = try Self.online()
        h.buses[1].acceptsWrites = false
        h.loop.uplink.commands.append(Self.set(id: 11, device: 1, [(0, 5), (1, 6)]))
        h.turn()
        #expect(h.loop.uplink.replies.map(\.code) == [ControlError.busBusy.code])
        #expect(h.loop.control.active == 0)
    }

    @Test func aGetAnswersTheLatestGoodValues() throws {
        var h = try Self.online()
        h.buses[1].deliver(h.sample(1, 1, 42))
        h.turn()
        var get = ControlRequest(kind: .get, id: 12, device: 1)
        _ = get.append(point: 0, value: .bool(false))
        _ = get.append(point: 1, value: .bool(false))
        h.loop.uplink.commands.append(get)
        h.turn()
        let reply = try #require(h.loop.uplink.replies.first)
        #expect(reply.code == 200)
        #expect(reply.count == 2)
        #expect(reply.present[0] == false)
        #expect(reply.present[1] == true)
        #expect(reply.values[1] == .double(42))
    }
}
