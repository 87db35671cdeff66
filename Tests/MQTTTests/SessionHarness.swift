import EdgeCore
import MQTT

typealias TestSession = MQTTSession<ManualClock, SplitMix64>

/// Test helpers for driving an `MQTTSession` as a broker would, with a manual clock.
enum SessionHarness {
    static func make(_ clock: ManualClock, window: Int = 8, storeMessages: Int = 16, storeBytes: Int = 4096,
                     keepAlive: UInt16 = 60, seed: UInt64 = 1,
                     reconnect: MQTTReconnectPolicy = .enos, resendsAfterReconnect: Bool = true) -> TestSession {
        var config = MQTTSessionConfiguration(
            connect: MQTTConnectOptions(clientId: "gw", cleanSession: false, keepAliveSeconds: keepAlive),
            maximumPacketSize: 1024, outputBufferBytes: 2048, outgoingStoreBytes: storeBytes,
            outgoingStoreMessages: storeMessages, inFlightWindow: window, reconnect: reconnect)
        config.resendsAfterReconnect = resendsAfterReconnect
        return MQTTSession(configuration: config, clock: clock, random: SplitMix64(seed: seed))
    }

    /// Takes everything the session wants to send and describes each packet:
    /// "CONNECT", "PUBLISH t 3 dup", "PUBACK 9", "PINGREQ"...
    static func drain(_ session: inout TestSession) -> [String] {
        let bytes = Array(session.pendingOutput)
        session.outputWritten(bytes.count)
        var reader = MQTTFrameReader(maximumPacketSize: 4096)
        _ = bytes.withUnsafeBytes { reader.append($0) }
        var out: [String] = []
        while let packet = try? reader.next() {
            switch packet {
            case .publish(let p): out.append("PUBLISH \(text(p.topic)!) \(p.packetId)" + (p.dup ? " dup" : ""))
            case .puback(let id): out.append("PUBACK \(id)")
            case .pubrec(let id): out.append("PUBREC \(id)")
            case .pubcomp(let id): out.append("PUBCOMP \(id)")
            case .subscribe(let s): out.append("SUBSCRIBE \(s.packetId)")
            case .unsubscribe(let u): out.append("UNSUBSCRIBE \(u.packetId)")
            default: out.append(packet.type.name)
            }
        }
        return out
    }

    /// Delivers the packet encoded by `encode` to the session.
    static func deliver(_ session: inout TestSession,
                        _ encode: (UnsafeMutableRawBufferPointer) throws(MQTTEncodeError) -> Int) throws -> String {
        let bytes = try PacketBytes.encode(encode)
        return try bytes.withUnsafeBytes { raw in
            let packet = try MQTTDecoder.decode(raw)
            switch try session.receive(packet) {
            case .none: return "none"
            case .connected(let present): return "connected \(present)"
            case .message(let p): return "message \(text(p.topic)!) \(text(p.payload)!)"
            case .published(let id): return "published \(id)"
            case .subscribed(let id, let codes): return "subscribed \(id) \(Array(codes))"
            case .unsubscribed(let id): return "unsubscribed \(id)"
            }
        }
    }

    static func connack(_ session: inout TestSession, present: Bool = false) throws -> String {
        try deliver(&session) { b throws(MQTTEncodeError) in
            try MQTTEncoder.connack(MQTTConnack(sessionPresent: present, returnCode: .accepted), into: b)
        }
    }

    static func puback(_ session: inout TestSession, _ id: UInt16) throws -> String {
        try deliver(&session) { b throws(MQTTEncodeError) in try MQTTEncoder.acknowledgement(.puback, packetId: id, into: b) }
    }

    /// poll() → openConnection, opened, CONNECT out, CONNACK in.
    static func connect(_ session: inout TestSession) throws {
        guard session.poll() == .openConnection else { throw HarnessError.notAskedToConnect }
        session.connectionOpened()
        guard drain(&session).first == "CONNECT" else { throw HarnessError.noConnect }
        _ = try connack(&session)
    }

    static func publish(_ session: inout TestSession, _ topic: String, qos: MQTTQoS = .atLeastOnce) throws -> MQTTPublishResult {
        try session.publish(topic: topic.utf8, payload: "x".utf8, qos: qos)
    }

    enum HarnessError: Error { case notAskedToConnect, noConnect }
}
