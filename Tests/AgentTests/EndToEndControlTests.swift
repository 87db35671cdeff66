import Foundation
import Testing

/// Cloud commands through `edge-agent run` to a pymodbus slave: measurepoint.set and a configured
/// service write the register (read back by measurepoint.get); an out-of-range value, an unknown point
/// and an unknown service are refused with their codes and nothing is written.
@Suite(.serialized) struct EndToEndControlTests {
    typealias H = EndToEndHarness

    func inject(_ h: H, _ method: String, _ params: Any, id: String, device: String = "meter1") throws -> [String: Any]? {
        let r = try h.cloud(["cmd": "inject", "productKey": "subPK", "deviceKey": device, "method": method, "params": params, "id": id])
        #expect(r["ok"] as? Bool == true, "\(r)")
        return h.commandReply(id: id)
    }

    /// `limit` read back with measurepoint.get until it is `expected` (the write shows once the
    /// bus has polled the register again: bounded at 10 s, not assumed after a fixed sleep); the
    /// first read comes after the cloud has a sample of meter1 taken after the command's reply,
    /// so the bus has polled the register since and a wrong write would show.
    func limit(_ h: H, id: String, expected: Int) throws -> Int? {
        let replied = H.nowMs()
        try h.waitUntil("a sample of meter1 taken after \(replied)") { h.entries().contains { $0.device == "meter1" && $0.time > replied } }
        let deadline = Date().addingTimeInterval(10)
        var attempt = 0
        var value: Int? = nil
        repeat {
            attempt += 1
            let reply = try inject(h, "thing.service.measurepoint.get", ["limit"], id: "\(id)-\(attempt)")
            #expect(reply?["code"] as? Int == 200, "\(String(describing: reply))")
            value = ((reply?["data"] as? [String: Any])?["limit"] as? NSNumber)?.intValue
            if value == expected { return value }
            usleep(200_000)
        } while Date() < deadline
        return value
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func setAndServiceWriteAndBadCommandsAreRefusedWithNothingWritten() throws {
        let h = try H()
        // setLimit is a configured service (a service call writes nothing it does not configure).
        try h.writeConfig(templateExtra: #", "services": [{"id": "setLimit", "inputs": [{"id": "limit", "type": "integer"}], "writes": [{"point": "limit", "input": "limit"}]}]"#)
        try h.startAgent()
        try #require(h.waitFor(20) { !$0.isEmpty })

        let set = try inject(h, "thing.service.measurepoint.set", ["limit": 1234], id: "set-1")
        #expect(set?["code"] as? Int == 200, "\(String(describing: set))")
        #expect(try limit(h, id: "get-1", expected: 1234) == 1234)

        let tooHigh = try inject(h, "thing.service.measurepoint.set", ["limit": 99999], id: "set-2")
        #expect(tooHigh?["code"] as? Int == 2005, "\(String(describing: tooHigh))")
        let unknown = try inject(h, "thing.service.measurepoint.set", ["limit": 10, "nope": 1], id: "set-3")
        #expect(unknown?["code"] as? Int == 2002, "\(String(describing: unknown))")
        let readOnly = try inject(h, "thing.service.measurepoint.set", ["r0": 5], id: "set-4")
        #expect(readOnly?["code"] as? Int == 2003, "\(String(describing: readOnly))")
        #expect(try limit(h, id: "get-2", expected: 1234) == 1234, "a refused command wrote something")

        let service = try inject(h, "thing.service.setLimit", ["limit": 2000], id: "svc-1")
        #expect(service?["code"] as? Int == 200, "\(String(describing: service))")
        #expect(try limit(h, id: "get-3", expected: 2000) == 2000)
        let unknownService = try inject(h, "thing.service.reboot", ["delay": 1], id: "svc-2")
        #expect(unknownService?["code"] as? Int == 1101, "\(String(describing: unknownService))")

        let log = String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self)
        #expect(log.contains("audit: command"), "commands are logged for audit")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
