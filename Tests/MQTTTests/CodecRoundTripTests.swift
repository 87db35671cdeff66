import MQTT
import Testing

/// Every packet type encodes to the bytes the standard gives and decodes back to the same fields.
@Suite struct CodecRoundTripTests {
    @Test func connectWithEverythingRoundTrips() throws {
        let options = MQTTConnectOptions(
            clientId: "gw-01", cleanSession: false, keepAliveSeconds: 60, username: "dk&pk",
            password: Array("secret".utf8),
            will: MQTTWill(topic: "status/gw-01", message: Array("offline".utf8), qos: .atLeastOnce, retain: true))
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.connect(options, into: b) }
        #expect(bytes[0] == 0x10)
        #expect(Array(bytes[2..<10]) == [0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0b1110_1100])
        try PacketBytes.decode(bytes) { packet in
            guard case .connect(let c) = packet else { Issue.record("not CONNECT"); return }
            #expect(text(c.clientId) == "gw-01")
            #expect(!c.cleanSession)
            #expect(c.keepAliveSeconds == 60)
            #expect(text(c.username) == "dk&pk")
            #expect(text(c.password) == "secret")
            #expect(text(c.will?.topic) == "status/gw-01")
            #expect(text(c.will?.message) == "offline")
            #expect(c.will?.qos == .atLeastOnce)
            #expect(c.will?.retain == true)
        }
    }

    @Test func minimalConnectIsTheStandardsBytes() throws {
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in
            try MQTTEncoder.connect(MQTTConnectOptions(clientId: "a", cleanSession: true, keepAliveSeconds: 10), into: b)
        }
        #expect(bytes == [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, 1, 0x61])
        try PacketBytes.decode(bytes) { packet in
            guard case .connect(let c) = packet else { Issue.record("not CONNECT"); return }
            #expect(c.cleanSession && c.will == nil && c.username == nil && c.password == nil)
        }
    }

    @Test func connackRoundTrips() throws {
        for present in [false, true] {
            let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in
                try MQTTEncoder.connack(MQTTConnack(sessionPresent: present, returnCode: .accepted), into: b)
            }
            #expect(bytes == [0x20, 2, present ? 1 : 0, 0])
            try PacketBytes.decode(bytes) { #expect($0.type == .connack) ; if case .connack(let c) = $0 { #expect(c.sessionPresent == present) } }
        }
        let refused = try PacketBytes.encode { b throws(MQTTEncodeError) in
            try MQTTEncoder.connack(MQTTConnack(sessionPresent: false, returnCode: .notAuthorized), into: b)
        }
        try PacketBytes.decode(refused) { if case .connack(let c) = $0 { #expect(c.returnCode == .notAuthorized) } else { Issue.record("not CONNACK") } }
    }

    @Test(arguments: [MQTTQoS.atMostOnce, .atLeastOnce, .exactlyOnce])
    func publishRoundTripsAtEveryQoS(qos: MQTTQoS) throws {
        for (dup, retain) in [(false, false), (true, false), (false, true), (true, true)] where !(dup && qos == .atMostOnce) {
            let payload = [UInt8](repeating: 0xA5, count: 200)
            let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in
                try MQTTEncoder.publish(topic: "a/b/ü".utf8, payload: payload, qos: qos, packetId: 0x1234,
                                        dup: dup, retain: retain, into: b)
            }
            #expect(bytes[0] == 0x30 | (dup ? 8 : 0) | qos.rawValue << 1 | (retain ? 1 : 0))
            try PacketBytes.decode(bytes) { packet in
                guard case .publish(let p) = packet else { Issue.record("not PUBLISH"); return }
                #expect(text(p.topic) == "a/b/ü")
                #expect(Array(p.payload) == payload)
                #expect(p.qos == qos && p.dup == dup && p.retain == retain)
                #expect(p.packetId == (qos == .atMostOnce ? 0 : 0x1234))
            }
        }
    }

    @Test func emptyPayloadPublishRoundTrips() throws {
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in
            try MQTTEncoder.publish(topic: "t".utf8, payload: [UInt8](), qos: .atMostOnce, into: b)
        }
        #expect(bytes == [0x30, 3, 0, 1, 0x74])
        try PacketBytes.decode(bytes) { if case .publish(let p) = $0 { #expect(p.payload.isEmpty) } else { Issue.record("not PUBLISH") } }
    }

    @Test(arguments: [MQTTPacketType.puback, .pubrec, .pubrel, .pubcomp, .unsuback])
    func acknowledgementsRoundTrip(type: MQTTPacketType) throws {
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.acknowledgement(type, packetId: 513, into: b) }
        #expect(bytes == [type.rawValue << 4 | (type == .pubrel ? 2 : 0), 2, 2, 1])
        try PacketBytes.decode(bytes) { packet in
            #expect(packet.type == type)
            switch packet {
            case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id): #expect(id == 513)
            default: Issue.record("wrong packet")
            }
        }
    }

    @Test func subscribeRoundTrips() throws {
        let subs = [MQTTSubscription("a/+/c", qos: .atLeastOnce), MQTTSubscription("#", qos: .atMostOnce),
                    MQTTSubscription("x/y", qos: .exactlyOnce)]
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.subscribe(packetId: 7, subs, into: b) }
        #expect(bytes[0] == 0x82)
        try PacketBytes.decode(bytes) { packet in
            guard case .subscribe(let s) = packet else { Issue.record("not SUBSCRIBE"); return }
            #expect(s.packetId == 7)
            let decoded = s.map { (text($0.filter)!, $0.qos) }
            #expect(decoded.map(\.0) == ["a/+/c", "#", "x/y"])
            #expect(decoded.map(\.1) == [.atLeastOnce, .atMostOnce, .exactlyOnce])
        }
    }

    @Test func subackRoundTrips() throws {
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.suback(packetId: 7, returnCodes: [1, 0x80, 0, 2], into: b) }
        #expect(bytes == [0x90, 6, 0, 7, 1, 0x80, 0, 2])
        try PacketBytes.decode(bytes) { packet in
            guard case .suback(let s) = packet else { Issue.record("not SUBACK"); return }
            #expect(s.packetId == 7 && Array(s.returnCodes) == [1, 0x80, 0, 2])
        }
    }

    @Test func unsubscribeRoundTrips() throws {
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.unsubscribe(packetId: 9, ["a/#", "b"], into: b) }
        #expect(bytes[0] == 0xA2)
        try PacketBytes.decode(bytes) { packet in
            guard case .unsubscribe(let u) = packet else { Issue.record("not UNSUBSCRIBE"); return }
            #expect(u.packetId == 9 && u.map { text($0)! } == ["a/#", "b"])
        }
    }

    @Test(arguments: [MQTTPacketType.pingreq, .pingresp, .disconnect])
    func headerOnlyPacketsRoundTrip(type: MQTTPacketType) throws {
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in try MQTTEncoder.headerOnly(type, into: b) }
        #expect(bytes == [type.rawValue << 4, 0])
        try PacketBytes.decode(bytes) { #expect($0.type == type) }
    }

    @Test func remainingLengthBoundariesRoundTrip() throws {
        for (value, encoded) in [(0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (16_383, [0xFF, 0x7F]),
                                 (16_384, [0x80, 0x80, 0x01]), (2_097_151, [0xFF, 0xFF, 0x7F]),
                                 (2_097_152, [0x80, 0x80, 0x80, 0x01]), (268_435_455, [0xFF, 0xFF, 0xFF, 0x7F])] as [(Int, [UInt8])] {
            var out = [UInt8](repeating: 0, count: 4)
            let n = out.withUnsafeMutableBytes { MQTTRemainingLength.write(value, into: $0, at: 0) }
            #expect(Array(out[0..<n]) == encoded)
            #expect(MQTTRemainingLength.encodedLength(value) == n)
            let probe = encoded.withUnsafeBytes { MQTTRemainingLength.read($0, at: 0) }
            #expect(probe == .complete(value: value, fieldLength: n))
        }
        #expect(MQTTRemainingLength.encodedLength(268_435_456) == nil)
    }

    @Test func largePublishUsesMultiByteLength() throws {
        let payload = [UInt8](repeating: 1, count: 20_000)
        let bytes = try PacketBytes.encode { b throws(MQTTEncodeError) in
            try MQTTEncoder.publish(topic: "big".utf8, payload: payload, qos: .atLeastOnce, packetId: 1, into: b)
        }
        #expect(bytes.count == MQTTEncoder.publishLength(topicLength: 3, payloadLength: 20_000, qos: .atLeastOnce))
        try PacketBytes.decode(bytes) { if case .publish(let p) = $0 { #expect(p.payload.count == 20_000) } else { Issue.record("not PUBLISH") } }
    }
}
