import CShim
import EdgeCore
import EnOS
import Foundation
import MQTT

/// A real mosquitto on a free loopback port and the EnOS cloud simulator
/// (Tests/CloudSimulator/enos_cloud.py) in front of it, with the simulator's control channel.
final class CloudHarness {
    static let mosquitto = "/usr/sbin/mosquitto"
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: mosquitto) && FileManager.default.fileExists(atPath: simulatorPath)
    }
    static var simulatorPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("CloudSimulator/enos_cloud.py").path
    }

    let directory: URL
    let brokerPort: UInt16
    var listenPort: UInt16 = 0
    var controlPort: UInt16 = 0
    private var broker: Process?
    private var simulator: Process?
    private var control: Int32 = -1
    private var pendingText = Data()

    static let gateway = EnOSDeviceIdentity(productKey: "gwPK", deviceKey: "gwDK", deviceSecret: "gwSecret")
    static let subDevices = [EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s1", deviceSecret: "sec1"),
                             EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s2", deviceSecret: "sec2"),
                             EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s3", deviceSecret: "sec3")]

    /// `simulatorArguments` are added to the simulator's command line (e.g. `--login-code s3=723`).
    init(simulatorArguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("enos-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        brokerPort = try Self.freePort()
        let config = """
        listener \(brokerPort) 127.0.0.1
        allow_anonymous true
        max_queued_messages 10000
        log_dest file \(directory.path)/mosquitto.log

        """
        try config.write(to: directory.appendingPathComponent("mosquitto.conf"), atomically: true, encoding: .utf8)
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_UNBLOCK, &all, nil)
        let b = Process()
        b.executableURL = URL(fileURLWithPath: Self.mosquitto)
        b.arguments = ["-c", directory.appendingPathComponent("mosquitto.conf").path]
        b.standardOutput = FileHandle.nullDevice
        b.standardError = FileHandle.nullDevice
        try b.run()
        broker = b
        let deadline = Date().addingTimeInterval(5)
        while !Self.accepts(brokerPort) {
            guard Date() < deadline else { throw POSIXError(.ETIMEDOUT) }
            usleep(20_000)
        }
        let s = Process()
        s.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = ["python3", Self.simulatorPath, "--broker-port", "\(brokerPort)", "--listen-port", "0",
                         "--control-port", "0", "--record", directory.appendingPathComponent("record.jsonl").path,
                         "--gateway", "gwPK:gwDK:gwSecret"]
        for d in Self.subDevices { arguments += ["--sub-device", "\(d.productKey):\(d.deviceKey):\(d.deviceSecret)"] }
        s.arguments = arguments + simulatorArguments
        let out = Pipe()
        s.standardOutput = out
        s.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try s.run()
        simulator = s
        // READY listen=L control=C broker=P
        var text = ""
        let readyBy = Date().addingTimeInterval(10)
        while !text.contains("\n") {
            guard Date() < readyBy else { throw POSIXError(.ETIMEDOUT) }
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw POSIXError(.EPIPE) }
            text += String(decoding: chunk, as: UTF8.self)
        }
        for word in text.split(separator: " ") {
            let parts = word.split(separator: "=")
            guard parts.count == 2 else { continue }
            let value = UInt16(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            if parts[0] == "listen" { listenPort = value }
            if parts[0] == "control" { controlPort = value }
        }
        guard listenPort != 0, controlPort != 0 else { throw POSIXError(.EPROTO) }
        // Keep draining the simulator's output so it never blocks on a full pipe.
        out.fileHandleForReading.readabilityHandler = { h in _ = h.availableData }
        control = try Self.connect(controlPort)
    }

    deinit {
        if control >= 0 { close(control) }
        for p in [simulator, broker].compactMap({ $0 }) where p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Control channel

    /// Sends one JSON command and returns the simulator's answer (throws if not ok).
    @discardableResult
    func command(_ object: [String: Any]) throws -> [String: Any] {
        var data = try JSONSerialization.data(withJSONObject: object)
        data.append(0x0A)
        try data.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(control, raw.baseAddress! + sent, raw.count - sent, 0)
                guard n > 0 else { throw POSIXError(.EPIPE) }
                sent += n
            }
        }
        while true {
            if let nl = pendingText.firstIndex(of: 0x0A) {
                let line = pendingText[pendingText.startIndex..<nl]
                pendingText = Data(pendingText[(nl + 1)...])
                let answer = try JSONSerialization.jsonObject(with: line) as? [String: Any] ?? [:]
                guard answer["ok"] as? Bool == true else {
                    throw SimulatorError(text: answer["error"] as? String ?? "simulator error")
                }
                return answer
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = recv(control, &buffer, buffer.count, 0)
            guard n > 0 else { throw POSIXError(.ECONNRESET) }
            pendingText.append(contentsOf: buffer[0..<n])
        }
    }

    /// Waits (in the simulator) for a record whose fields equal `match`.
    func waitForRecord(_ match: [String: Any], timeout: Double = 15, since: Int = 0) throws -> [String: Any] {
        let answer = try command(["cmd": "wait", "match": match, "timeout": timeout, "since": since])
        return answer["record"] as? [String: Any] ?? [:]
    }

    func records(kind: String? = nil) throws -> [[String: Any]] {
        let all = try command(["cmd": "records", "since": 0])["records"] as? [[String: Any]] ?? []
        guard let kind else { return all }
        return all.filter { $0["kind"] as? String == kind }
    }

    struct SimulatorError: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    // MARK: Gateway

    typealias Gateway = EnOSGateway<TCPStream, SystemClock, SplitMix64>

    static func configuration(secret: String = "gwSecret") -> EnOSGatewayConfiguration {
        var gw = gateway
        gw.deviceSecret = secret
        var c = EnOSGatewayConfiguration(gateway: gw, subDevices: subDevices, firmwareVersion: "1.0.0")
        c.reconnect = MQTTReconnectPolicy(initialDelayMilliseconds: 100, maximumDelayMilliseconds: 500,
                                          minimumIntervalMilliseconds: 50, windowMilliseconds: 1000,
                                          maximumAttemptsPerWindow: 8)
        c.loginRetryMilliseconds = 200
        return c
    }

    func makeGateway(_ configuration: EnOSGatewayConfiguration, port: UInt16? = nil) -> Gateway {
        Gateway(configuration: configuration, host: "127.0.0.1", port: port ?? listenPort, transport: TCPStream(),
                clock: SystemClock(), random: SplitMix64(seed: 7))
    }

    // MARK: Sockets

    static func freePort() throws -> UInt16 {
        let fd = edge_tcp_listen_loopback(0)
        guard fd >= 0 else { throw POSIXError(.EADDRINUSE) }
        defer { close(fd) }
        return UInt16(edge_socket_local_port(fd))
    }

    static func connect(_ port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    static func accepts(_ port: UInt16) -> Bool {
        guard let fd = try? connect(port) else { return false }
        close(fd)
        return true
    }
}

/// What a test saw from the gateway (copied out of the events).
struct SeenEvents {
    var connected = 0
    var disconnected: [MQTTClientError] = []
    var loggedIn: [Int] = []
    var loginFailed: [(Int, Int)] = []
    var loggedOut: [Int] = []
    var replies: [(id: UInt32, tag: UInt64, kind: EnOSRequestKind, code: Int)] = []
    var timedOut: [(id: UInt32, tag: UInt64)] = []
    var commands: [(handle: EnOSReplyHandle, parameters: [String])] = []
    var rejected: [EnOSMessageError] = []
    var refusedSubscriptions: [String] = []
    var notices: [(Int, EnOSSubDeviceNotice)] = []
    var models: [(Int, Int, String)] = []

    mutating func take(_ event: EnOSGatewayEvent) {
        switch event {
        case .connected: connected += 1
        case .disconnected(let e): disconnected.append(e)
        case .subDeviceLoggedIn(let i): loggedIn.append(i)
        case .subDeviceLoginFailed(let i, let code, _): loginFailed.append((i, code))
        case .subDeviceLoggedOut(let i): loggedOut.append(i)
        case .reply(let id, let tag, let kind, let code, _): replies.append((id, tag, kind, code))
        case .replyTimedOut(let id, let tag, _): timedOut.append((id, tag))
        case .command(let c):
            var parameters: [String] = []
            for p in c.parameters() { parameters.append(p.name.string) }
            for id in c.pointIds() { parameters.append(id.string) }
            commands.append((c.replyHandle, parameters))
        case .commandRejected(let e): rejected.append(e)
        case .subscriptionRefused(let filter): refusedSubscriptions.append(filter)
        case .subDeviceNotice(let i, let notice): notices.append((i, notice))
        case .model(let i, let code, let data): models.append((i, code, String(decoding: data, as: UTF8.self)))
        }
    }
}

extension EnOSGateway where Transport: ~Copyable, Clock == SystemClock, Random == SplitMix64 {
    /// Steps until `done` or the deadline; false on timeout.
    @discardableResult
    mutating func run(_ seen: inout SeenEvents, seconds: Double = 15, until done: (SeenEvents) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done(seen) {
            if Date() > deadline { return false }
            step(timeoutMilliseconds: 20) { seen.take($0) }
        }
        return true
    }
}
