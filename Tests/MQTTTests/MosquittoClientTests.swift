import CShim
import EdgeCore
import Foundation
import MQTT
import Testing
import TestSupport

typealias TCPClient = MQTTClient<TCPStream, SystemClock, SplitMix64>

/// Against a real mosquitto on loopback: connect (through name resolution), subscribe, publish
/// QoS 0 and 1 and receive them back; a broker restarted in the middle of a stream of QoS 1
/// messages loses none of them and they arrive in order.
@Suite(.serialized, .enabled(if: MosquittoBroker.isInstalled, "mosquitto not installed (apt-get install mosquitto mosquitto-clients)"))
struct MosquittoClientTests {
    static func client(port: UInt16, host: String = "127.0.0.1", clientId: String, window: Int = 16, storeMessages: Int = 64) -> TCPClient {
        let config = MQTTSessionConfiguration(
            connect: MQTTConnectOptions(clientId: clientId, cleanSession: false, keepAliveSeconds: 60),
            maximumPacketSize: 4096, outputBufferBytes: 8192, outgoingStoreBytes: 64 * 1024,
            outgoingStoreMessages: storeMessages, inFlightWindow: window)
        return MQTTClient(host: host, port: port, configuration: config, transport: TCPStream(),
                          clock: SystemClock(), random: SplitMix64(seed: UInt64(port)))
    }

    /// Steps the client until `done` or the deadline; returns whether `done` became true.
    static func run(_ client: inout TCPClient, seconds: Double, onEvent: (MQTTClientEvent) -> Void = { _ in },
                    until done: (inout TCPClient) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if done(&client) { return true }
            client.step(timeoutMilliseconds: 20, onEvent: onEvent)
        }
        return done(&client)
    }

    @Test func connectsThroughNameResolutionSubscribesAndReceivesItsOwnQoS0AndQoS1Messages() throws {
        let broker = try MosquittoBroker()
        // "localhost" may resolve to ::1 first, where nothing listens: the next address is tried.
        var client = Self.client(port: broker.port, host: "localhost", clientId: "roundtrip")
        var connected = false
        var subscribed = false
        var received: [String] = []
        var acknowledged: [UInt16] = []
        let handler: (MQTTClientEvent) -> Void = { event in
            switch event {
            case .session(.connected): connected = true
            case .session(.subscribed(_, let codes)): subscribed = Array(codes) == [1]
            case .session(.message(let m)):
                received.append(String(decoding: m.topic, as: UTF8.self) + " " + String(decoding: m.payload, as: UTF8.self) + " q\(m.qos.rawValue)")
            case .session(.published(let id)): acknowledged.append(id)
            case .connectionLost(let e): Issue.record("connection lost: \(e.description)")
            default: break
            }
        }
        #expect(Self.run(&client, seconds: 15, onEvent: handler) { _ in connected })
        _ = try client.session.subscribe([MQTTSubscription("test/#", qos: .atLeastOnce)])
        #expect(Self.run(&client, seconds: 15, onEvent: handler) { _ in subscribed })
        #expect(try client.session.publish(topic: "test/zero".utf8, payload: "hello0".utf8, qos: .atMostOnce) == .sent)
        #expect(try client.session.publish(topic: "test/one".utf8, payload: "hello1".utf8, qos: .atLeastOnce) == .stored(packetId: 2))
        #expect(Self.run(&client, seconds: 15, onEvent: handler) { _ in received.count == 2 && acknowledged == [2] })
        #expect(received == ["test/zero hello0 q0", "test/one hello1 q1"])
        #expect(client.connectionCount == 1)
    }

    @Test func brokerRestartMidStreamLosesNoQoS1MessageAndKeepsOrder() throws {
        let broker = try MosquittoBroker()
        let output = broker.directory.appendingPathComponent("sub.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let sub = Process()
        sub.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
        // Persistent session (-c) with a fixed id: the broker keeps the subscription and queues
        // for it across its own restart.
        sub.arguments = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-i", "stream-sub", "-c", "-q", "1", "-t", "stream/#", "-v"]
        sub.standardOutput = try FileHandle(forWritingTo: output)
        sub.standardError = FileHandle.nullDevice
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_UNBLOCK, &all, nil)
        try sub.run()
        defer { if sub.isRunning { kill(sub.processIdentifier, SIGKILL); sub.waitUntilExit() } }

        func lines() -> [String] {
            (try? String(contentsOf: output, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        }

        var client = Self.client(port: broker.port, clientId: "stream-pub", window: 8, storeMessages: 256)
        var lost: [String] = []
        var reconnected = 0
        let handler: (MQTTClientEvent) -> Void = { event in
            switch event {
            case .connectionLost(let e): lost.append(e.description)
            case .session(.connected): reconnected += 1
            default: break
            }
        }
        // The subscriber is there once a probe comes through.
        #expect(Self.run(&client, seconds: 10, onEvent: handler) { c in
            if c.session.isConnected && c.session.unacknowledgedCount == 0 {
                _ = try? c.session.publish(topic: "stream/probe".utf8, payload: "probe".utf8, qos: .atLeastOnce)
            }
            return lines().contains("stream/probe probe")
        })

        let total = 300
        var published = 0
        var restarted = false
        let finished = Self.run(&client, seconds: 30, onEvent: handler) { c in
            while published < total {
                // Two topics, interleaved: order must hold per topic.
                let topic = published % 3 == 0 ? "stream/b" : "stream/a"
                let payload = "m\(published)"
                guard case .stored = (try? c.session.publish(topic: topic.utf8, payload: payload.utf8, qos: .atLeastOnce)) ?? .wouldBlock else { break }
                published += 1
                if published % 10 == 0 { break }   // keep publishing across many steps
            }
            if !restarted && published >= 100 {
                restarted = true
                broker.stop()
                try? broker.start()
            }
            return published == total && c.session.unacknowledgedCount == 0
        }
        #expect(finished, "published \(published), unacknowledged \(client.session.unacknowledgedCount)")
        #expect(restarted)
        #expect(!lost.isEmpty, "the restart was noticed")
        #expect(reconnected >= 2)

        // Every message arrives at the subscriber, first arrivals in publish order on each
        // topic (QoS 1 may repeat a message that was in flight during the restart).
        let deadline = Date().addingTimeInterval(15)
        var firsts: [String] = []
        repeat {
            var seen = Set<String>()
            firsts = lines().filter { !$0.hasPrefix("stream/probe") && seen.insert($0).inserted }
            if firsts.count == total { break }
            usleep(50_000)
        } while Date() < deadline
        let expected = (0..<total).map { ($0 % 3 == 0 ? "stream/b" : "stream/a") + " m\($0)" }
        #expect(firsts.filter { $0.hasPrefix("stream/a ") } == expected.filter { $0.hasPrefix("stream/a ") })
        #expect(firsts.filter { $0.hasPrefix("stream/b ") } == expected.filter { $0.hasPrefix("stream/b ") })
        #expect(Set(firsts) == Set(expected))
    }

    @Test func lastWillIsPublishedWhenAClientVanishesWithoutDisconnect() throws {
        let broker = try MosquittoBroker()
        var watcher = Self.client(port: broker.port, clientId: "watcher")
        var connected = false
        var subscribed = false
        var wills: [String] = []
        let handler: (MQTTClientEvent) -> Void = { event in
            switch event {
            case .session(.connected): connected = true
            case .session(.subscribed): subscribed = true
            case .session(.message(let m)): wills.append(String(decoding: m.topic, as: UTF8.self) + " " + String(decoding: m.payload, as: UTF8.self))
            default: break
            }
        }
        #expect(Self.run(&watcher, seconds: 15, onEvent: handler) { _ in connected })
        _ = try watcher.session.subscribe([MQTTSubscription("status/#")])
        #expect(Self.run(&watcher, seconds: 15, onEvent: handler) { _ in subscribed })
        do {
            let config = MQTTSessionConfiguration(connect: MQTTConnectOptions(
                clientId: "mortal", keepAliveSeconds: 60,
                will: MQTTWill(topic: "status/mortal", message: Array("offline".utf8), qos: .atLeastOnce)))
            var mortal = MQTTClient(host: "127.0.0.1", port: broker.port, configuration: config, transport: TCPStream(),
                                    clock: SystemClock(), random: SplitMix64(seed: 5))
            var up = false
            #expect(Self.run(&mortal, seconds: 15, onEvent: { if case .session(.connected) = $0 { up = true } }) { _ in up })
            // Leaves scope: the socket closes without DISCONNECT.
        }
        #expect(Self.run(&watcher, seconds: 15, onEvent: handler) { _ in !wills.isEmpty })
        #expect(wills == ["status/mortal offline"])
    }

    @Test func steadyStatePublishingThroughTheClientAllocatesNothing() throws {
        let broker = try MosquittoBroker()
        var client = Self.client(port: broker.port, clientId: "allocations", window: 20, storeMessages: 256)
        var connected = false
        var acked = 0
        let handler: (MQTTClientEvent) -> Void = { event in
            switch event {
            case .session(.connected): connected = true
            case .session(.published): acked += 1
            default: break
            }
        }
        #expect(Self.run(&client, seconds: 15, onEvent: handler) { _ in connected })
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 200, alignment: 8)
        defer { payload.deallocate() }
        payload.initializeMemory(as: UInt8.self, repeating: 0x61)
        var published = 0
        func round(_ client: inout TCPClient) {
            while published < acked + 100,
                  case .stored = (try? client.session.publish(topic: "alloc/t".utf8, payload: UnsafeRawBufferPointer(payload), qos: .atLeastOnce)) ?? .wouldBlock {
                published += 1
            }
            client.flush(handler)
            client.step(timeoutMilliseconds: 15, onEvent: handler)
        }
        for _ in 0..<50 { round(&client) }   // warm-up
        let before = acked
        // Runs until 500 more acknowledgements arrived (bounded), not for a fixed number of rounds:
        // on a loaded machine the broker may be slower than usual.
        var rounds = 0
        let counted = AllocationCounter.count {
            while acked - before < 500, rounds < 20_000 {
                round(&client)
                rounds += 1
            }
        }
        #expect(acked - before >= 500, "acknowledged during the count: \(acked - before)")
        #expect(counted.allocations == 0, "\(counted)")
    }

    @Test func transportReportsResolutionAndConnectionFailures() {
        var transport = TCPStream()
        #expect(throws: ByteStreamError.self) { try transport.open(host: "no-such-host.invalid", port: 1883) }
        do {
            try transport.open(host: "no-such-host.invalid", port: 1883)
        } catch {
            #expect(error.kind == .resolve)
            #expect(error.description.hasPrefix("DNS failure: cannot resolve the host name"))
        }
        // A port where nothing listens: refused (immediately or on the first poll).
        let port = (try? MosquittoBroker.freePort()) ?? 1
        var outcome: ByteStreamError? = nil
        do {
            try transport.open(host: "127.0.0.1", port: port)
            var revents: Int16 = 0
            _ = edge_poll_one(transport.descriptor, transport.pollEvents(wantWrite: false), 2000, &revents)
            _ = try transport.advance(revents: revents)
        } catch {
            outcome = error
        }
        #expect(outcome?.kind == .connect)
        #expect(outcome?.code == ECONNREFUSED)
    }
}
