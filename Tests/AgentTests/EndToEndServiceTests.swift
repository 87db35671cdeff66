import Foundation
import Testing

/// A configured service through `edge-agent run` to a pymodbus slave: `setLimits` writes two
/// registers with its input parameters (read back) and replies with its output parameters; an
/// unknown service is answered 1101; a missing, mistyped or refused parameter is answered with
/// its code and a message naming it, and nothing is written.
@Suite(.serialized) struct EndToEndServiceTests {
    typealias H = EndToEndHarness

    static let points = #", {"id": "limit2", "table": "holding", "address": 11, "type": "uint16", "writable": true}"#
    static let services = """
        , "services": [{"id": "setLimits",
            "inputs": [{"id": "low", "type": "integer"}, {"id": "high", "type": "integer"}],
            "writes": [{"point": "limit", "input": "low", "readBack": true}, {"point": "limit2", "input": "high", "readBack": true}],
            "outputs": [{"id": "low", "point": "limit"}, {"id": "high", "point": "limit2"}, {"id": "r0", "point": "r0"}]}]
        """

    func inject(_ h: H, _ method: String, _ params: Any, id: String) throws -> [String: Any]? {
        let r = try h.cloud(["cmd": "inject", "productKey": "subPK", "deviceKey": "meter1", "method": method, "params": params, "id": id])
        #expect(r["ok"] as? Bool == true, "\(r)")
        return h.commandReply(id: id)
    }

    /// `limit` and `limit2` as polled, read with measurepoint.get until they are `expected`
    /// (bounded at 10 s); the first read no sooner than 600 ms after the command, so a wrong write would show.
    func limits(_ h: H, id: String, expected: [Int]) throws -> [Int] {
        usleep(600_000)
        let deadline = Date().addingTimeInterval(10)
        var attempt = 0
        var values: [Int] = []
        repeat {
            attempt += 1
            let reply = try inject(h, "thing.service.measurepoint.get", ["limit", "limit2"], id: "\(id)-\(attempt)")
            let data = reply?["data"] as? [String: Any]
            values = ["limit", "limit2"].compactMap { (data?[$0] as? NSNumber)?.intValue }
            if values == expected { return values }
            usleep(200_000)
        } while Date() < deadline
        return values
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func aConfiguredServiceWritesTwoRegistersAndRepliesWithItsOutputs() throws {
        let h = try H()
        try h.writeConfig(points: Self.points, templateExtra: Self.services)
        try h.startAgent()
        try #require(h.waitFor(20) { !$0.isEmpty })

        let call = try inject(h, "thing.service.setLimits", ["low": 1111, "high": 2222, "note": "ignored"], id: "svc-1")
        #expect(call?["code"] as? Int == 200, "\(String(describing: call))")
        let data = call?["data"] as? [String: Any]
        #expect((data?["low"] as? NSNumber)?.intValue == 1111, "\(String(describing: call))")
        #expect((data?["high"] as? NSNumber)?.intValue == 2222, "\(String(describing: call))")
        #expect((data?["r0"] as? NSNumber)?.intValue == 1000, "an output of an unwritten point is its polled value")
        #expect(data?.count == 3)
        #expect(try limits(h, id: "get-1", expected: [1111, 2222]) == [1111, 2222])

        let unknown = try inject(h, "thing.service.reboot", ["delay": 1], id: "svc-2")
        #expect(unknown?["code"] as? Int == 1101, "\(String(describing: unknown))")

        let missing = try inject(h, "thing.service.setLimits", ["low": 5], id: "svc-3")
        #expect(missing?["code"] as? Int == 2013, "\(String(describing: missing))")
        #expect(missing?["message"] as? String == #"missing input parameter "high""#, "\(String(describing: missing))")
        let mistyped = try inject(h, "thing.service.setLimits", ["low": "five", "high": 6], id: "svc-4")
        #expect(mistyped?["code"] as? Int == 2004, "\(String(describing: mistyped))")
        #expect(mistyped?["message"] as? String == #"input parameter "low" must be an integer"#, "\(String(describing: mistyped))")
        // low is fine and comes first; high does not fit limit2's uint16: low must not be written either.
        let refused = try inject(h, "thing.service.setLimits", ["low": 7, "high": 70000], id: "svc-5")
        #expect(refused?["code"] as? Int == 2005, "\(String(describing: refused))")
        #expect(refused?["message"] as? String == #"input parameter "high" refused by point "limit2""#, "\(String(describing: refused))")
        #expect(try limits(h, id: "get-2", expected: [1111, 2222]) == [1111, 2222], "a refused call wrote something")

        let log = String(decoding: (try? Data(contentsOf: h.agentLog)) ?? Data(), as: UTF8.self)
        #expect(log.contains("service on m1: setLimits: limit=1111, limit2=2222"), "the call is audited with its service")
        #expect(h.stopAgent(signal: SIGTERM) == 0)
    }
}
