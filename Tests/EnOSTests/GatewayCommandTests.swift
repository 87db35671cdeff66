import EdgeCore
import EnOS
import Foundation
import MQTT
import Testing

/// Commands injected by the simulator: decoded, handed to the caller, replied (the simulator
/// records the reply); malformed ones are answered with the spec's code and the gateway keeps
/// working.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct GatewayCommandTests {
    @Test func injectedSetIsDecodedAndReplied() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = GatewayPublishTests.connected(cloud, CloudHarness.configuration(), &seen)
        try cloud.command(["cmd": "inject", "productKey": "sPK", "deviceKey": "s2", "id": "set-1",
                           "method": "thing.service.measurepoint.set", "params": ["limit": 80, "mode": "eco"]])
        let g1 = gateway.run(&seen) { !$0.commands.isEmpty }
        #expect(g1)
        let command = try #require(seen.commands.first)
        #expect(command.handle.kind == .measurepointSet)
        #expect(command.handle.device == .subDevice(1))
        #expect(command.handle.id == "set-1")
        #expect(command.parameters.sorted() == ["limit", "mode"])   // the injector's key order is not fixed
        let sent = gateway.reply(to: command.handle, code: 200, message: "", onEvent: { seen.take($0) })
        #expect(sent == .sent)
        let reply = try cloud.waitForRecord(["kind": "command_reply", "payload.id": "set-1"])
        #expect(reply["topic"] as? String == "/sys/sPK/s2/thing/service/measurepoint/set_reply")
        #expect((reply["payload"] as? [String: Any])?["code"] as? Int == 200)
        #expect((reply["problems"] as? [String])?.isEmpty == true)

        // A get with data, and a service on the gateway itself.
        try cloud.command(["cmd": "inject", "productKey": "gwPK", "deviceKey": "gwDK", "id": "get-1",
                           "method": "thing.service.measurepoint.get", "params": ["power", "temp"]])
        try cloud.command(["cmd": "inject", "productKey": "gwPK", "deviceKey": "gwDK", "id": "svc-1",
                           "method": "thing.service.multiply", "params": ["left": 3, "right": 4]])
        let g2 = gateway.run(&seen) { $0.commands.count == 3 }
        #expect(g2)
        for c in seen.commands.dropFirst() {
            let r = gateway.reply(to: c.handle, code: 200, message: "ok", data: { (w: inout JSONWriter) throws(JSONWriterError) in
                try w.beginObject()
                try w.key("result")
                try w.value(12)
                try w.endObject()
            }, onEvent: { seen.take($0) })
            #expect(r == .sent)
        }
        let service = try cloud.waitForRecord(["kind": "command_reply", "payload.id": "svc-1"])
        #expect(service["topic"] as? String == "/sys/gwPK/gwDK/thing/service/multiply_reply")
        #expect(((service["payload"] as? [String: Any])?["data"] as? [String: Any])?["result"] as? Int == 12)
        _ = try cloud.waitForRecord(["kind": "command_reply", "payload.id": "get-1"])
    }

    @Test func malformedCommandsGetErrorRepliesAndTheGatewayKeepsRunning() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = GatewayPublishTests.connected(cloud, CloudHarness.configuration(), &seen)
        let topic = "/sys/sPK/s1/thing/service/measurepoint/set"
        try cloud.command(["cmd": "inject", "topic": topic, "raw": #"{"id":"bad-1","method":"thing.service.measurepoint.set","params":{"a":}"#])
        try cloud.command(["cmd": "inject", "topic": topic, "raw": #"{"id":"bad-2","method":"thing.service.measurepoint.get","params":{}}"#])
        try cloud.command(["cmd": "inject", "topic": "/sys/sPK/s1/thing/service/measurepoint/get", "raw": #"{"id":"bad-3","method":"thing.service.measurepoint.get","params":[1]}"#])
        try cloud.command(["cmd": "inject", "topic": topic, "raw": ""])
        try cloud.command(["cmd": "inject", "topic": topic, "raw": "garbage"])
        // A command topic of ours that no handler knows: 1101.
        try cloud.command(["cmd": "inject", "topic": "/sys/sPK/s1/thing/service/measurepoint/reset", "raw": #"{"id":"bad-4","method":"thing.service.measurepoint.reset","params":{}}"#])
        let g3 = gateway.run(&seen) { $0.rejected.count == 6 }
        #expect(g3)
        let codes = try ["bad-1", "bad-2", "bad-3"].map { id in
            (try cloud.waitForRecord(["kind": "command_reply", "payload.id": id])["payload"] as? [String: Any])?["code"] as? Int
        }
        #expect(codes == [1220, 1260, 1220])
        let unknown = (try cloud.waitForRecord(["kind": "command_reply", "payload.id": "bad-4"])["payload"] as? [String: Any])?["code"] as? Int
        #expect(unknown == 1101)
        let message = (try cloud.waitForRecord(["kind": "command_reply", "payload.id": "bad-3"])["payload"] as? [String: Any])?["message"] as? String
        #expect(message == "Payload format error: a point id must be a string")
        #expect(seen.rejected.map { $0.code }.contains(1251))
        // Still working: a good command and a publish.
        try cloud.command(["cmd": "inject", "productKey": "sPK", "deviceKey": "s1", "id": "good",
                           "method": "thing.service.measurepoint.set", "params": ["a": 1]])
        let g4 = gateway.run(&seen) { $0.commands.count == 1 }
        #expect(g4)
        #expect(seen.commands.first?.handle.id == "good")
        let g5 = gateway.isConnected
        #expect(g5)
    }

    @Test func upgradeCommandCarriesTheFirmware() throws {
        let cloud = try CloudHarness()
        var seen = SeenEvents()
        var gateway = GatewayPublishTests.connected(cloud, CloudHarness.configuration(), &seen)
        try cloud.command(["cmd": "inject", "productKey": "gwPK", "deviceKey": "gwDK", "id": "ota-1", "method": "ota.device.upgrade",
                           "params": ["version": "2.0.0", "sign": "abcd", "signMethod": "sha256", "fileUrl": "/f/ota/x", "fileSize": 4096]])
        var version = "", size: Int64 = 0
        let deadline = Date().addingTimeInterval(5)
        while version.isEmpty && Date() < deadline {
            gateway.step(timeoutMilliseconds: 20) { event in
                if case .command(let c) = event, let u = c.upgrade() {
                    version = u.version.string
                    size = u.fileSize
                }
            }
        }
        #expect(version == "2.0.0" && size == 4096)
        let g6 = gateway.reportProgress(step: 35, description: "downloading", onEvent: { seen.take($0) }) != .notConnected
        #expect(g6)
        let progress = try cloud.waitForRecord(["kind": "request", "method": "ota.device.progress"])
        #expect(((progress["payload"] as? [String: Any])?["params"] as? [String: Any])?["step"] as? String == "35")
        #expect((progress["problems"] as? [String])?.isEmpty == true)
    }
}
