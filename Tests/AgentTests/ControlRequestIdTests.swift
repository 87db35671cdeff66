import Agent
import EdgeCore
import FieldBus
import Testing
@testable import CloudLink

/// One id per control request: the cloud command's id is the id of each of its bus writes and of
/// its reply, whatever its value; as many commands run at once as `control.commandsInFlight`
/// says (no table slot or capacity of 16 in the ids); the console's ids and the cloud's never meet.
@Suite struct ControlRequestIdTests {
    static func set(id: UInt32, device: Int = 1, points: Int = 1) -> ControlRequest {
        var r = ControlRequest(kind: .set, id: id, device: device)
        for p in 0..<points { _ = r.append(point: p, value: .int(Int64(p))) }
        return r
    }

    static func harness(commandsInFlight: Int? = nil) throws -> LoopHarness {
        var h = try LoopHarness(configText: LoopHarness.configText(commandsInFlight: commandsInFlight))
        h.connect()
        h.buses[1].deliver(.deviceOnline(device: 1, time: h.clock.wallNow()))
        h.turn()
        return h
    }

    static func completeAll(_ h: inout LoopHarness) {
        for w in h.buses[1].writes {
            h.buses[1].deliver(.writeCompleted(id: w.id, device: w.device, point: w.point, outcome: .ok))
        }
        h.turn()
    }

    @Test func aCommandsWritesAndReplyCarryItsOneId() throws {
        var h = try Self.harness()
        h.loop.uplink.commands.append(Self.set(id: 0x1234_5678, points: 2))
        h.turn()
        #expect(h.buses[1].writes.map(\.id) == [0x1234_5678, 0x1234_5678])
        Self.completeAll(&h)
        #expect(h.loop.uplink.replies.map(\.id) == [0x1234_5678])
        #expect(h.loop.uplink.replies.map(\.code) == [200])
    }

    @Test func asManyCommandsRunAtOnceAsConfigured() throws {
        var h = try Self.harness(commandsInFlight: 20)
        #expect(h.loop.control.capacity == 20)
        for id in 1...21 { h.loop.uplink.commands.append(Self.set(id: UInt32(id))) }
        h.turn()
        #expect(h.buses[1].writes.count == 20)
        #expect(h.loop.uplink.replies.map(\.id) == [21])
        #expect(h.loop.uplink.replies.map(\.code) == [ControlError.busBusy.code])
        Self.completeAll(&h)
        #expect(h.loop.uplink.replies.count == 21)
        #expect(h.loop.uplink.replies.dropFirst().map(\.id) == (1...20).map { UInt32($0) })
        #expect(h.loop.uplink.replies.dropFirst().allSatisfy { $0.code == 200 })
    }

    @Test func theDefaultIsSixteenCommandsAtOnce() throws {
        var h = try Self.harness()
        for id in 1...17 { h.loop.uplink.commands.append(Self.set(id: UInt32(id))) }
        h.turn()
        #expect(h.buses[1].writes.count == 16)
        #expect(h.loop.uplink.replies.map(\.code) == [ControlError.busBusy.code])
    }

    @Test func aCloudCommandIsAnsweredWhateverItsIdLooksLike() throws {
        // 0xFF0 and 0xFFF in bits 4...11 were the console's mark while ids carried a table slot:
        // such a command's results were taken for the console's and it was never answered.
        var h = try Self.harness()
        for id: UInt32 in [0xFF0, 0xFFF, 0x7FFF_FFFF] { h.loop.uplink.commands.append(Self.set(id: id)) }
        h.turn()
        Self.completeAll(&h)
        #expect(h.loop.uplink.replies.map(\.id) == [0xFF0, 0xFFF, 0x7FFF_FFFF])
    }

    @Test func consoleAndCloudIdsNeverMeet() {
        var id: UInt32 = 0
        for _ in 0..<5_000 {
            id = ControlRequestId.cloud(after: id)
            #expect(id != 0 && !ConsoleWriteId.isConsole(id))
        }
        #expect(ControlRequestId.cloud(after: 0x7FFF_FFFF) == 1)
        for sequence: UInt32 in [0, 1, 0xFF, 0x7FFF_FFFF, 0xFFFF_FFFF] {
            #expect(ConsoleWriteId.isConsole(ConsoleWriteId.make(sequence)))
        }
    }
}
