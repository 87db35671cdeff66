import EnOS
import Testing

/// Topic building and downstream routing (spec §3): device lookup, set/get before generic
/// services, `_reply` topics of our requests, echoes of our own command replies.
@Suite struct TopicRouterTests {
    let gateway = EnOSDeviceIdentity(productKey: "gwPK", deviceKey: "gwDK", deviceSecret: "s")
    let subs = [EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s1", deviceSecret: "a"),
                EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s2", deviceSecret: "b")]

    func route(_ topic: String) -> EnOSRoute {
        let bytes = Array(topic.utf8)
        return bytes.withUnsafeBytes { EnOSTopicRouter.route($0, gateway: gateway, subDevices: subs) }
    }

    func build(_ body: (UnsafeMutableRawBufferPointer) -> Int?) -> String? {
        var buffer = [UInt8](repeating: 0, count: 128)
        guard let n = buffer.withUnsafeMutableBytes(body) else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    @Test func requestTopicsFollowTheMethodNames() {
        #expect(build { EnOSTopic.request(.measurepointPostBatch, productKey: "p", deviceKey: "d", into: $0) }
                == "/sys/p/d/thing/measurepoint/post/batch")
        #expect(build { EnOSTopic.request(.measurepointResume, productKey: "p", deviceKey: "d", reply: true, into: $0) }
                == "/sys/p/d/thing/measurepoint/resume_reply")
        #expect(build { EnOSTopic.request(.subDeviceLoginBatch, productKey: "p", deviceKey: "d", into: $0) }
                == "/ext/session/p/d/combine/login/batch")
        #expect(build { EnOSTopic.request(.eventPost, productKey: "p", deviceKey: "d", eventId: "overTemp", into: $0) }
                == "/sys/p/d/thing/event/overTemp/post")
        #expect(build { EnOSTopic.request(.otaProgress, productKey: "p", deviceKey: "d", into: $0) } == "/sys/p/d/ota/device/progress")
        #expect(build { EnOSTopic.request(.connectionStatePost, productKey: "p", deviceKey: "d", into: $0) } == "/sys/p/d/connection/state/post")
        let service = Array("multiply".utf8)
        #expect(build { b in service.withUnsafeBytes { EnOSTopic.command(.service, productKey: "p", deviceKey: "d", serviceId: $0, reply: true, into: b) } }
                == "/sys/p/d/thing/service/multiply_reply")
        #expect(build { EnOSTopic.command(.subDevicesDisabled, productKey: "p", deviceKey: "d", reply: true, into: $0) }
                == "/ext/session/p/d/combine/disable_reply")
    }

    @Test func topicBuilderRefusesSmallBuffers() {
        var small = [UInt8](repeating: 0, count: 10)
        let n = small.withUnsafeMutableBytes { EnOSTopic.request(.measurepointPost, productKey: "p", deviceKey: "d", into: $0) }
        #expect(n == nil)
    }

    @Test func measurepointSetAndGetWinOverGenericService() {
        let set = route("/sys/sPK/s2/thing/service/measurepoint/set")
        #expect(set.device == .subDevice(1))
        #expect(set.target == .command(.measurepointSet))
        #expect(route("/sys/gwPK/gwDK/thing/service/measurepoint/get").target == .command(.measurepointGet))
        let service = route("/sys/gwPK/gwDK/thing/service/restart")
        #expect(service.device == .gateway)
        #expect(service.target == .command(.service))
        #expect(service.serviceId.count == 7)
    }

    @Test func repliesOfOurRequestsAreRecognised() {
        #expect(route("/sys/gwPK/gwDK/thing/measurepoint/post/batch_reply").target == .reply(.measurepointPostBatch))
        #expect(route("/sys/gwPK/gwDK/thing/measurepoint/resume/batch_reply").target == .reply(.measurepointResumeBatch))
        #expect(route("/ext/session/gwPK/gwDK/combine/login/batch_reply").target == .reply(.subDeviceLoginBatch))
        #expect(route("/ext/session/gwPK/gwDK/combine/login_reply").target == .reply(.subDeviceLogin))
        #expect(route("/sys/gwPK/gwDK/thing/event/overTemp/post_reply").target == .reply(.eventPost))
        #expect(route("/sys/gwPK/gwDK/ota/device/inform_reply").target == .reply(.otaInform))
    }

    @Test func echoesOfOurCommandRepliesAreIgnored() {
        #expect(route("/sys/sPK/s1/thing/service/measurepoint/set_reply").target == .commandReplyEcho)
        #expect(route("/sys/gwPK/gwDK/thing/service/restart_reply").target == .commandReplyEcho)
    }

    @Test func sessionCommandsAndUnknownTopics() {
        let enable = route("/ext/session/gwPK/gwDK/combine/enable")
        #expect(enable.target == .command(.subDevicesEnabled))
        #expect(enable.device == .gateway)
        #expect(route("/sys/other/dev/thing/service/x").device == .unknown)
        #expect(route("/sys/gwPK/gwDK/thing/model/down_raw").target == .unknown)
        #expect(route("/foo/bar").target == .unknown)
        #expect(route("/sys/gwPK").target == .unknown)
        #expect(route("").target == .unknown)
        // A sub-device key in a session topic is not the gateway.
        #expect(route("/ext/session/sPK/s1/combine/enable").device == .unknown)
    }
}
