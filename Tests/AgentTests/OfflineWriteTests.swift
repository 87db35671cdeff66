import CShim
import Foundation
import Testing

/// Writes to a device that does not answer (m3, unit 4 of the pymodbus slave), through
/// `edge-agent run`'s console and as cloud commands: a write that could never succeed (unknown,
/// read-only or out-of-range point, wrong kind of value) says so first; only a valid write is
/// answered "offline".
@Suite(.serialized) struct OfflineWriteTests {
    typealias H = EndToEndHarness

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aWriteToAnOfflineDeviceChecksThePointBeforeTheDeviceState() throws {
        let h = try H()
        let tty = try EndToEndConsoleTests.Terminal()
        try h.writeConfig(extra: #", "console": {"input": "tty", "device": "\#(tty.slavePath)"}"#, deadDevice: true)
        try h.startAgent()
        defer { h.stopAgent(signal: SIGKILL) }
        try #require(tty.waitFor("edge> ") != nil, "no prompt")
        // m3 never answers: wait until the agent has taken it offline.
        var offline = false
        let offlineBy = Date().addingTimeInterval(30)
        repeat {
            let devices = tty.run("devices")
            offline = devices.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("m3") && $0.contains("OFFLINE") }
        } while !offline && Date() < offlineBy
        try #require(offline, "m3 was not taken offline")
        let valid = tty.run("write m3 limit 10")
        #expect(valid.contains("m3 is offline: nothing written"), "\(valid)")

        let tooHigh = tty.run("write m3 limit 99999")
        #expect(tooHigh.contains("refused, nothing written") && tooHigh.contains("allowed range"), "\(tooHigh)")
        let readOnly = tty.run("write m3 r0 5")
        #expect(readOnly.contains("not writable"), "\(readOnly)")
        let unknown = tty.run("write m3 nosuch 5")
        #expect(unknown.contains("no point 'nosuch'"), "\(unknown)")

        // The cloud: a value of the wrong kind is refused as such (2004), not as offline (2010).
        func set(_ params: [String: Any], id: String) throws -> Int? {
            let r = try h.cloud(["cmd": "inject", "productKey": "subPK", "deviceKey": "meter3",
                                 "method": "thing.service.measurepoint.set", "params": params, "id": id])
            #expect(r["ok"] as? Bool == true, "\(r)")
            return h.commandReply(id: id)?["code"] as? Int
        }
        #expect(try set(["limit": "high"], id: "offline-1") == 2004)
        #expect(try set(["limit": 99999], id: "offline-2") == 2005)
        #expect(try set(["r0": 5], id: "offline-3") == 2003)
        #expect(try set(["limit": 10], id: "offline-4") == 2010)
    }
}
