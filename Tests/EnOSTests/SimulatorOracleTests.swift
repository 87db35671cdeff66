import Foundation
import Testing

/// The cloud simulator checked against the official EnOS Python SDK (enos-mqtt-sdk-python 0.1.1,
/// installed by Tools/install-host-deps.sh), not only against our own code: the SDK connects as a
/// gateway through the simulator's proxy (its clientId and sign), adds its topology, logs
/// sub-devices in (single and batch), posts and resumes measurepoints, and answers a sub-device
/// notice and an unknown service (Tests/CloudSimulator/sdk_oracle.py). The simulator must accept
/// what the SDK sends, and the SDK must match and parse every reply with the code EnOS answers.
/// A missing SDK fails the test: it is part of the test environment, not optional.
@Suite(.serialized, .enabled(if: CloudHarness.isAvailable)) struct SimulatorOracleTests {
    static var oraclePath: String {
        URL(fileURLWithPath: CloudHarness.simulatorPath).deletingLastPathComponent().appendingPathComponent("sdk_oracle.py").path
    }

    /// Runs the oracle against `cloud`; its JSON lines and exit status.
    static func runOracle(_ cloud: CloudHarness) throws -> (steps: [[String: Any]], status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", oraclePath, "--port", "\(cloud.listenPort)", "--control-port", "\(cloud.controlPort)",
                         "--gateway", "gwPK:gwDK:gwSecret"]
        for d in CloudHarness.subDevices { arguments += ["--sub-device", "\(d.productKey):\(d.deviceKey):\(d.deviceSecret)"] }
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        var data = Data()
        let deadline = Date().addingTimeInterval(60)
        while true {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            data.append(chunk)
            if Date() > deadline { process.terminate(); break }
        }
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        let steps = output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        return (steps, process.terminationStatus, output)
    }

    @Test func officialSDKGatewayIsAcceptedAndAcceptsEveryReply() throws {
        let cloud = try CloudHarness()
        let run = try Self.runOracle(cloud)
        #expect(run.status == 0, "sdk_oracle.py exited \(run.status):\n\(run.output)")
        let failed = run.steps.filter { $0["step"] != nil && $0["ok"] as? Bool != true }
        #expect(failed.isEmpty, "\(failed)")
        let names = run.steps.compactMap { $0["step"] as? String }
        for expected in ["connect", "topo.get empty", "login outside the topology", "topo.add", "topo.add badly signed",
                         "topo.get", "login", "login.batch partial", "measurepoint.post", "measurepoint.post malformed time",
                         "post.batch default flags", "post.batch flags", "post.batch offline sub-device",
                         "post.batch offline allowed", "measurepoint.resume", "resume.batch", "combine.disable reply",
                         "login of a disabled sub-device", "unhandled service reply", "logout", "post.batch after logout"] {
            #expect(names.contains(expected), "step \(expected) did not run: \(run.output)")
        }

        // The simulator's side: the SDK's CONNECT passed its sign check, and every request and
        // command reply of the SDK was well-formed except the one the oracle malformed on purpose.
        let connects = try cloud.records(kind: "connect")
        #expect(connects.count == 1 && (connects.first?["clientId"] as? String)?.hasPrefix("gwDK|securemode=2,signmethod=hmacsha256,timestamp=") == true,
                "\(connects)")
        #expect(try cloud.records(kind: "connect_refused").isEmpty)
        let requests = try cloud.records(kind: "request")
        let withProblems = requests.filter { !(($0["problems"] as? [String])?.isEmpty ?? false) }
        #expect(withProblems.count == 1 && withProblems.first?["replyCode"] as? Int == 1206, "\(withProblems)")
        let methods = Set(requests.compactMap { $0["method"] as? String })
        #expect(methods == ["thing.topo.get", "thing.topo.add", "combine.login", "combine.login.batch", "combine.logout",
                            "thing.measurepoint.post", "thing.measurepoint.post.batch", "thing.measurepoint.resume",
                            "thing.measurepoint.resume.batch"], "\(methods)")
        let replies = try cloud.records(kind: "command_reply")
        #expect(replies.count == 2 && replies.allSatisfy { ($0["problems"] as? [String])?.isEmpty == true }, "\(replies)")
    }
}
