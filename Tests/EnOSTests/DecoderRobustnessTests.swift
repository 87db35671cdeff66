import EdgeCore
import EnOS
import Testing

/// Bad input never crashes the decoders: valid commands and replies mutated at random (bytes
/// flipped, cut, duplicated, inserted) either decode, with every accessor usable to the end, or
/// give an error with a reply code of the spec.
@Suite struct DecoderRobustnessTests {
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let gateway = EnOSDeviceIdentity(productKey: "gwPK", deviceKey: "gwDK", deviceSecret: "s")
    static let subs = [EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s1", deviceSecret: "a")]
    static let samples: [(String, String)] = [
        ("/sys/sPK/s1/thing/service/measurepoint/set", #"{"id":"9","version":"1.0","method":"thing.service.measurepoint.set","params":{"limit":80,"mode":"e\u00e9co","on":true,"gain":-1.5e3,"arr":[1,{"a":null}]}}"#),
        ("/sys/gwPK/gwDK/thing/service/measurepoint/get", #"{"id":"1","version":"1.0","method":"thing.service.measurepoint.get","params":["power","temp"]}"#),
        ("/sys/gwPK/gwDK/thing/service/multiply", #"{"id":"5","version":"1.0","method":"thing.service.multiply","params":{"left":3,"right":4}}"#),
        ("/sys/gwPK/gwDK/ota/device/upgrade", #"{"id":"7","version":"1.0","method":"ota.device.upgrade","params":{"version":"v1.2","sign":"abc","signMethod":"md5","fileUrl":"/x","fileSize":1024}}"#),
        ("/ext/session/gwPK/gwDK/combine/delete", #"{"id":"8","version":"1.0","method":"combine.delete","params":[{"productKey":"sPK","deviceKey":"s1"}]}"#),
    ]
    static let replies = [
        #"{"id":"12","code":723,"message":"x","data":{"loginedSubDevices":[{"assetId":"a1","productKey":"sPK","deviceKey":"s1"}],"failedSubDevices":[{"productKey":"sPK","deviceKey":"s2"}]}}"#,
        #"{"id":"3","code":200,"message":"","data":{}}"#,
    ]

    static func mutate(_ bytes: [UInt8], _ r: inout Random) -> [UInt8] {
        var b = bytes
        for _ in 0...r.below(3) {
            guard !b.isEmpty else { break }
            let i = r.below(b.count)
            switch r.below(5) {
            case 0: b[i] = UInt8(truncatingIfNeeded: r.next())
            case 1: b.removeSubrange(i..<min(b.count, i + 1 + r.below(8)))
            case 2:
                let specials = Array("{}[],:\"\\0-e.".utf8)
                b.insert(specials[r.below(specials.count)], at: i)
            case 3: b = Array(b[0..<i])
            default: b.insert(contentsOf: b[i..<min(b.count, i + r.below(16))], at: i)
            }
        }
        return b
    }

    @Test func mutatedCommandsDecodeOrFailWithAReplyCode() {
        var r = Random(state: 42)
        let codes: Set<Int> = [1101, 1220, 1251, 1260]
        var decoded = 0, refused = 0, badCodes = 0
        for round in 0..<20_000 {
            let (topic, payload) = Self.samples[round % Self.samples.count]
            let mutated = Self.mutate(Array(payload.utf8), &r)
            let t = Array(topic.utf8)
            t.withUnsafeBytes { tb in
                mutated.withUnsafeBytes { pb in
                    let route = EnOSTopicRouter.route(tb, gateway: Self.gateway, subDevices: Self.subs)
                    do throws(EnOSMessageError) {
                        let c = try EnOSCommandDecoder.decode(topic: tb, route: route, payload: pb)
                        decoded += 1
                        var n = 0
                        for p in c.parameters() { n += p.name.count; if case .text(let s) = p.value { n += s.count } }
                        for id in c.pointIds() { n += id.count }
                        for (pk, dk) in c.subDeviceKeys() { n += pk.count + dk.count }
                        if let u = c.upgrade() { n += u.fileUrl.count }
                        _ = n
                    } catch {
                        refused += 1
                        if !codes.contains(error.code) { badCodes += 1 }
                        _ = error.description
                    }
                }
            }
        }
        #expect(badCodes == 0)
        #expect(decoded > 100 && refused > 1000, "decoded \(decoded), refused \(refused)")
    }

    @Test func mutatedRepliesNeverCrash() {
        var r = Random(state: 7)
        var decoded = 0
        for round in 0..<20_000 {
            let mutated = Self.mutate(Array(Self.replies[round % Self.replies.count].utf8), &r)
            mutated.withUnsafeBytes { pb in
                guard let reply = try? EnOSReply.decode(pb) else { return }
                decoded += 1
                var results = reply.loginBatchResults()
                while let (pk, dk) = results.logined.next() { _ = pk.count + dk.count }
                while let (pk, dk) = results.failed.next() { _ = pk.count + dk.count }
                _ = reply.message?.count
            }
        }
        #expect(decoded > 100)
    }
}
