import CShim
import Foundation
import Testing

/// The real pieces of an end-to-end run, started by a test and stopped with it: mosquitto, the
/// EnOS cloud simulator (Tests/CloudSimulator/enos_cloud.py, recording everything it sees), an
/// outage relay between the agent and the simulator (Tests/AgentTests/outage_relay.py: `cut`
/// closes the line and refuses connections, `restore` reopens it), a pymodbus slave on loopback
/// TCP (Tools/modbus_test_slave.py: units 1, 2, 3 healthy) and the `edge-agent` binary
/// (EDGE_AGENT_BINARY, else the debug build).
final class EndToEndHarness {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var binary: String {
        ProcessInfo.processInfo.environment["EDGE_AGENT_BINARY"]
            ?? packageRoot.appendingPathComponent(".build/debug/edge-agent").path
    }

    static var python: String { ProcessInfo.processInfo.environment["EDGE_PYTHON"] ?? "python3" }

    static var prerequisitesPresent: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/mosquitto") && FileManager.default.isExecutableFile(atPath: binary)
    }

    enum HarnessError: Error { case notReady(String) }

    let directory: URL
    var processes: [Process] = []
    var agent: Process?
    var relayInput: FileHandle?
    var relayOutput: FileHandle?
    let brokerPort: UInt16
    var cloudPort: UInt16 = 0
    var controlPort: UInt16 = 0
    var relayPort: UInt16 = 0
    var modbusPort: UInt16 = 0
    var recordFile: URL { directory.appendingPathComponent("cloud.jsonl") }
    var agentLog: URL { directory.appendingPathComponent("agent.log") }
    var configFile: URL { directory.appendingPathComponent("agent.json") }
    var ringLog: URL { directory.appendingPathComponent("ring.log") }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        brokerPort = try Self.freePort()
        let conf = "listener \(brokerPort) 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
        try conf.write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        let broker = try launch("/usr/sbin/mosquitto", ["-c", directory.appendingPathComponent("mosquitto.conf").path])
        try waitAccepting(brokerPort)
        _ = broker
        let cloud = try launch("/usr/bin/env", [Self.python, Self.packageRoot.appendingPathComponent("Tests/CloudSimulator/enos_cloud.py").path,
                                                "--broker-port", "\(brokerPort)", "--listen-port", "0", "--control-port", "0",
                                                "--gateway", "gwPK:gw1:gwsecret", "--sub-device", "subPK:meter1:s1",
                                                "--sub-device", "subPK:meter2:s2", "--sub-device", "subPK:meter3:s3", "--record", recordFile.path],
                               stdout: true)
        let cloudReady = try readLine(cloud, containing: "READY")
        cloudPort = UInt16(Self.field(cloudReady, "listen=") ?? "") ?? 0
        controlPort = UInt16(Self.field(cloudReady, "control=") ?? "") ?? 0
        let relay = try launch("/usr/bin/env", [Self.python, Self.packageRoot.appendingPathComponent("Tests/AgentTests/outage_relay.py").path,
                                                "--target-port", "\(cloudPort)"], stdout: true, stdin: true)
        relayInput = (relay.standardInput as? Pipe)?.fileHandleForWriting
        relayOutput = (relay.standardOutput as? Pipe)?.fileHandleForReading
        let relayReady = try readLine(relay, containing: "READY")
        relayPort = UInt16(relayReady.split(separator: " ").last.map(String.init) ?? "") ?? 0
        modbusPort = try Self.freePort()
        let slave = try launch("/usr/bin/env", [Self.python, Self.packageRoot.appendingPathComponent("Tools/modbus_test_slave.py").path,
                                                "--tcp", "\(modbusPort)"], stdout: true)
        _ = try readLine(slave, containing: "READY")
    }

    deinit {
        stopAgent(signal: SIGKILL)
        for p in processes where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The agent's configuration: two meters (units 1 and 2) polled every `intervalMs` over TCP;
    /// with `cloudDevices` false they have no cloud identity (the gateway has no sub-devices).
    /// `points` goes on the template's point list, `templateExtra` in the template (e.g. `services`),
    /// `devices` after the devices and `subDevices` after the sub-devices (each starting with a comma).
    func writeConfig(intervalMs: Int = 200, extra: String = "", deadDevice: Bool = false, cloudDevices: Bool = true,
                     points: String = "", templateExtra: String = "", devices: String = "", subDevices: String = "") throws {
        let dead = deadDevice ? #", {"name": "m3", "template": "meter", "unit": 4, "bus": "plant", "productKey": "subPK", "deviceKey": "meter3"}"# : ""
        let deadSecret = deadDevice ? #", {"device": "m3", "deviceSecret": "s3"}"# : ""
        let identity1 = cloudDevices ? #", "productKey": "subPK", "deviceKey": "meter1""# : ""
        let identity2 = cloudDevices ? #", "productKey": "subPK", "deviceKey": "meter2""# : ""
        let secrets = cloudDevices ? #"{"device": "m1", "deviceSecret": "s1"}, {"device": "m2", "deviceSecret": "s2"}"# : ""
        let text = """
        {
          "buses": [{"name": "plant", "type": "tcp", "host": "127.0.0.1", "port": \(modbusPort), "responseTimeoutMs": 300}],
          "templates": [{"name": "meter", "intervalMs": \(intervalMs), "points": [
             {"id": "r0", "table": "holding", "address": 0, "type": "uint16"},
             {"id": "r1", "table": "holding", "address": 1, "type": "uint16"},
             {"id": "limit", "table": "holding", "address": 10, "type": "uint16", "writable": true, "min": 0, "max": 5000}\(points)]\(templateExtra)}],
          "devices": [{"name": "m1", "template": "meter", "unit": 1, "bus": "plant"\(identity1)},
                      {"name": "m2", "template": "meter", "unit": 2, "bus": "plant"\(identity2)}\(dead)\(devices)],
          "cloud": {"host": "127.0.0.1", "port": \(relayPort), "keepAliveSeconds": 5, "reconnectMinMs": 300, "reconnectMaxMs": 1000, "connectWindowMs": 1200,
                    "gateway": {"productKey": "gwPK", "deviceKey": "gw1", "deviceSecret": "gwsecret"},
                    "subDevices": [\(secrets)\(deadSecret)\(subDevices)]},
          "ringLog": {"path": "\(ringLog.path)", "size": "2MiB", "sectorSize": "16KiB", "syncIntervalMs": 100},
          "publishing": {"liveIntervalMs": 300, "resumeSamplesPerSecond": 3000, "replyTimeoutMs": 3000},
          "status": {"intervalMs": 2000},
          "control": {"commandTtlMs": 3000}\(extra)
        }
        """
        try text.write(to: configFile, atomically: true, encoding: .utf8)
    }

    /// Starts `edge-agent run --config agent.json` (and `arguments`); `environment` is added to the
    /// test's own.
    func startAgent(environment: [String: String] = [:], arguments: [String] = []) throws {
        let log = FileHandle(forWritingAtPath: agentLog.path) ?? {
            _ = FileManager.default.createFile(atPath: agentLog.path, contents: nil)
            return FileHandle(forWritingAtPath: agentLog.path)!
        }()
        log.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = ["run", "--config", configFile.path] + arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        p.standardOutput = log
        p.standardError = log
        try Self.unblockingSignals { try p.run() }
        agent = p
    }

    /// Sends `signal`; for SIGKILL waits, for others waits up to 10 s and returns the status.
    @discardableResult
    func stopAgent(signal: Int32) -> Int32? {
        guard let p = agent else { return nil }
        if p.isRunning { kill(p.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        agent = nil
        return p.terminationReason == .exit ? p.terminationStatus : -p.terminationStatus
    }

    var agentIsRunning: Bool { agent?.isRunning ?? false }

    func relay(_ command: String) throws {
        relayInput?.write((command + "\n").data(using: .utf8)!)
        guard let out = relayOutput else { return }
        _ = try Self.readLine(out, containing: "OK \(command)", timeout: 5)
    }

    /// One command on the cloud simulator's control channel (a JSON line each way).
    func cloud(_ command: [String: Any], timeout: Double = 10) throws -> [String: Any] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = controlPort.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw HarnessError.notReady("control channel") }
        var line = try JSONSerialization.data(withJSONObject: command)
        line.append(10)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        let reply = try Self.readLine(handle, containing: "{", timeout: timeout)
        return (try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]) ?? [:]
    }

    /// The command reply the cloud recorded for command id `id` (nil: none within the timeout).
    func commandReply(id: String, timeout: Double = 10) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOf: recordFile, encoding: .utf8) {
                for line in text.split(separator: "\n") {
                    guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                          obj["kind"] as? String == "command_reply", let payload = obj["payload"] as? [String: Any],
                          payload["id"] as? String == id else { continue }
                    return payload
                }
            }
            usleep(50_000)
        }
        return nil
    }

    // MARK: Records

    struct Entry {
        var method: String
        var device: String
        var time: Int64
        var points: [String: Any]
        var seq: Int
        var arrival: Int64
    }

    /// Every record of `kind` (e.g. "request", "login", "logout"), as parsed JSON.
    func records(kind: String) -> [[String: Any]] {
        guard let text = try? String(contentsOf: recordFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  obj["kind"] as? String == kind else { return nil }
            return obj
        }
    }

    /// Every accepted (reply 200) measurepoint entry the cloud got, in arrival order.
    func entries() -> [Entry] {
        guard let text = try? String(contentsOf: recordFile, encoding: .utf8) else { return [] }
        var out: [Entry] = []
        for line in text.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  obj["kind"] as? String == "request", let method = obj["method"] as? String,
                  method.hasPrefix("thing.measurepoint."), obj["replyCode"] as? Int == 200,
                  let payload = obj["payload"] as? [String: Any], let params = payload["params"] as? [[String: Any]] else { continue }
            for p in params {
                guard let dk = p["deviceKey"] as? String, let t = (p["time"] as? NSNumber)?.int64Value else { continue }
                out.append(Entry(method: method, device: dk, time: t, points: p["measurepoints"] as? [String: Any] ?? [:],
                                 seq: obj["seq"] as? Int ?? 0, arrival: (obj["time"] as? NSNumber)?.int64Value ?? 0))
            }
        }
        return out
    }

    /// Waits until `condition` holds for the entries (or the timeout).
    func waitFor(_ timeout: Double, _ condition: ([Entry]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(entries()) { return true }
            usleep(100_000)
        }
        return condition(entries())
    }

    /// The gaps (from, to) longer than `limit` ms between consecutive distinct sample times of
    /// `device` within [from, to].
    static func gaps(_ entries: [Entry], device: String, longerThan limit: Int64, from: Int64, to: Int64) -> [(Int64, Int64)] {
        let times = Set(entries.filter { $0.device == device }.map { $0.time }).filter { $0 >= from && $0 <= to }.sorted()
        var out: [(Int64, Int64)] = []
        var previous = from
        for t in times {
            if t - previous > limit { out.append((previous, t)) }
            previous = t
        }
        if to - previous > limit { out.append((previous, to)) }
        return out
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Processes

    func launch(_ path: String, _ args: [String], stdout: Bool = false, stdin: Bool = false) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = stdout ? Pipe() : FileHandle.nullDevice
        let errorFile = directory.appendingPathComponent("process-\(processes.count).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: errorFile.path)
        if stdin { p.standardInput = Pipe() }
        try Self.unblockingSignals { try p.run() }
        processes.append(p)
        return p
    }

    func readLine(_ p: Process, containing text: String) throws -> String {
        guard let out = (p.standardOutput as? Pipe)?.fileHandleForReading else { throw HarnessError.notReady(text) }
        do {
            return try Self.readLine(out, containing: text, timeout: 15)
        } catch {
            let index = processes.firstIndex(where: { $0 === p }) ?? 0
            let err = (try? String(contentsOf: directory.appendingPathComponent("process-\(index).err"), encoding: .utf8)) ?? ""
            throw HarnessError.notReady("\(p.arguments ?? []): \(err.suffix(1500))")
        }
    }

    static func readLine(_ handle: FileHandle, containing text: String, timeout: Double) throws -> String {
        let fd = handle.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let deadline = Date().addingTimeInterval(timeout)
        var collected = ""
        var buffer = [UInt8](repeating: 0, count: 1)
        while Date() < deadline {
            let n = read(fd, &buffer, 1)
            if n == 1 {
                if buffer[0] == 10 {
                    if collected.contains(text) { return collected }
                    collected = ""
                } else {
                    collected.append(Character(UnicodeScalar(buffer[0])))
                }
            } else {
                usleep(5_000)
            }
        }
        throw HarnessError.notReady(text)
    }

    static func field(_ line: String, _ key: String) -> String? {
        for part in line.split(separator: " ") where part.hasPrefix(key) { return String(part.dropFirst(key.count)) }
        return nil
    }

    static func freePort() throws -> UInt16 {
        let fd = edge_tcp_listen_loopback(0)
        guard fd >= 0 else { throw POSIXError(.EADDRINUSE) }
        defer { close(fd) }
        return UInt16(edge_socket_local_port(fd))
    }

    func waitAccepting(_ port: UInt16) throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if rc == 0 { return }
            usleep(20_000)
        }
        throw HarnessError.notReady("port \(port)")
    }

    /// Test threads may block SIGTERM; children inherit the mask. Start them with it open.
    static func unblockingSignals(_ body: () throws -> Void) rethrows {
        var all = sigset_t()
        var old = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_UNBLOCK, &all, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        try body()
    }
}
