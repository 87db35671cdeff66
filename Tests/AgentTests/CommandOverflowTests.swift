import Agent
import CShim
import EdgeCore
import Foundation
import MQTT
import Testing
@testable import Configuration
@testable import CloudLink

/// Cloud commands that arrive while the agent's command queue is full: the EnOS uplink in this
/// process over TCP to mosquitto and the cloud simulator, driven without taking its commands (as
/// when the loop falls behind). Every command still gets a reply, "busy" (2012) for those that could
/// not be queued, and the overflow is reported with its cause.
@Suite(.serialized) struct CommandOverflowTests {
    typealias Uplink = EnOSUplink<TCPStream, SystemClock>

    /// One loop turn of the uplink as `AgentLoop.turn` does it (poll at most 50 ms), collecting its events.
    static func turn(_ uplink: inout Uplink, _ events: inout [UplinkEvent]) {
        let request = uplink.pollRequest()
        var revents: Int16 = 0
        let wait = request.timeoutMilliseconds < 0 ? 50 : min(50, request.timeoutMilliseconds)
        _ = edge_poll_one(request.descriptor, request.events, Int32(wait), &revents)
        if revents != 0 || request.timeoutMilliseconds == 0 {
            uplink.handle(revents: request.timeoutMilliseconds == 0 ? revents | Int16(POLLIN) : revents)
        }
        while let e = uplink.nextEvent() { events.append(e) }
    }

    /// The command replies the cloud recorded for ids starting with `prefix`: id -> code.
    static func replies(_ h: EndToEndHarness, prefix: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for r in h.records(kind: "command_reply") {
            guard let p = r["payload"] as? [String: Any], let id = p["id"] as? String, id.hasPrefix(prefix) else { continue }
            out[id] = p["code"] as? Int ?? -1
        }
        return out
    }

    @Test(.enabled(if: EndToEndHarness.prerequisitesPresent))
    func commandsBeyondTheQueueAreAnsweredBusy() throws {
        let h = try EndToEndHarness()
        try h.writeConfig()
        let config = try AgentConfiguration.load(file: h.configFile.path)
        var uplink = Uplink(configuration: config, transport: TCPStream(), clock: SystemClock(), firmwareVersion: "test")
        var events: [UplinkEvent] = []
        let readyBy = Date().addingTimeInterval(20)
        while !uplink.isReady && Date() < readyBy { Self.turn(&uplink, &events) }
        let ready = uplink.isReady
        try #require(ready, "the uplink did not get ready: \(events)")

        // 40 commands while nobody takes them: the queue holds 16.
        let flood = 40
        for i in 0..<flood {
            let r = try h.cloud(["cmd": "inject", "productKey": "subPK", "deviceKey": "meter1",
                                 "method": "thing.service.measurepoint.get", "params": ["r0"], "id": "flood-\(i)"])
            try #require(r["ok"] as? Bool == true, "\(r)")
        }
        var busyBy = Date().addingTimeInterval(15)
        while Self.replies(h, prefix: "flood-").count < flood - 16 && Date() < busyBy { Self.turn(&uplink, &events) }
        let early = Self.replies(h, prefix: "flood-")
        #expect(early.count == flood - 16, "commands beyond the queue got no reply: \(early.count) replies")
        #expect(early.values.allSatisfy { $0 == 2012 }, "\(early)")

        // The loop catches up: the 16 queued commands run and are answered.
        var queued = 0
        while let command = uplink.nextCommand() {
            queued += 1
            uplink.reply(ControlReply(id: command.id, device: command.device, error: nil))
        }
        #expect(queued == 16)
        busyBy = Date().addingTimeInterval(15)
        while Self.replies(h, prefix: "flood-").count < flood && Date() < busyBy { Self.turn(&uplink, &events) }
        let all = Self.replies(h, prefix: "flood-")
        #expect(all.count == flood, "not every command got a reply: \(all.count) of \(flood)")
        #expect(all.values.filter { $0 == 200 }.count == 16 && all.values.filter { $0 == 2012 }.count == flood - 16, "\(all)")

        // Reported with its cause (the first report at once, the rest at most once a minute).
        let reports = events.compactMap { e -> (CommandOverflow, Int, Int)? in
            if case .commandsRefused(let cause, let busy, let unanswered) = e { return (cause, busy, unanswered) }
            return nil
        }
        #expect(reports.count == 1, "\(events)")
        #expect(reports.first?.0 == .queueFull(capacity: 16) && (reports.first?.1 ?? 0) > 0 && reports.first?.2 == 0, "\(reports)")
        let line = CommandOverflow.queueFull(capacity: 16).logLine(answeredBusy: 24, unanswered: 0)
        #expect(line.contains("command queue (16 commands) is full") && line.contains("24 answered busy (2012)"), "\(line)")
        uplink.disconnect()
    }
}
