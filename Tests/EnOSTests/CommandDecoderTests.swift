import EdgeCore
import EnOS
import Testing

/// Decoding cloud commands: each kind's parameters, and the typed errors (with the reply code of
/// spec §11) for bad JSON, wrong types, missing fields, a method that does not match the topic,
/// unknown commands.
@Suite struct CommandDecoderTests {
    let gateway = EnOSDeviceIdentity(productKey: "gwPK", deviceKey: "gwDK", deviceSecret: "s")
    let subs = [EnOSDeviceIdentity(productKey: "sPK", deviceKey: "s1", deviceSecret: "a")]

    /// Decodes and hands the command (valid only inside) to `body`; returns the error if any.
    @discardableResult
    func decode(_ topic: String, _ payload: String, _ body: (EnOSCommand) -> Void = { _ in }) -> EnOSMessageError? {
        let t = Array(topic.utf8), p = Array(payload.utf8)
        return t.withUnsafeBytes { tb -> EnOSMessageError? in
            p.withUnsafeBytes { pb -> EnOSMessageError? in
                let route = EnOSTopicRouter.route(tb, gateway: gateway, subDevices: subs)
                do throws(EnOSMessageError) {
                    body(try EnOSCommandDecoder.decode(topic: tb, route: route, payload: pb))
                    return nil
                } catch {
                    return error
                }
            }
        }
    }

    @Test func measurepointSetGivesNamedValues() {
        var seen: [String] = []
        let error = decode("/sys/sPK/s1/thing/service/measurepoint/set",
                           #"{"id":"9","version":"1.0","method":"thing.service.measurepoint.set","params":{"limit":80,"mode":"eco","on":true,"gain":1.5,"arr":[1,2],"big":1e400}}"#) { c in
            #expect(c.kind == .measurepointSet)
            #expect(c.device == .subDevice(0))
            #expect(c.id.equals("9"))
            #expect(c.replyHandle.id == "9")
            for p in c.parameters() {
                switch p.value {
                case .integer(let v): seen.append(p.name.string + "=i\(v)")
                case .number(let v): seen.append(p.name.string + "=d\(v)")
                case .bool(let b): seen.append(p.name.string + "=b\(b)")
                case .text(let t): seen.append(p.name.string + "=s" + t.string)
                case .structured(let raw): seen.append(p.name.string + "=j" + String(decoding: raw, as: UTF8.self))
                case .null: seen.append(p.name.string + "=null")
                }
            }
        }
        // 1e400 overflows a double: a wrong value type.
        #expect(error?.code == 1220)
        #expect(seen.isEmpty)
        decode("/sys/sPK/s1/thing/service/measurepoint/set",
               #"{"id":"9","version":"1.0","method":"thing.service.measurepoint.set","params":{"limit":80,"mode":"eco","on":true,"gain":1.5,"arr":[1,2]}}"#) { c in
            for p in c.parameters() {
                switch p.value {
                case .integer(let v): seen.append(p.name.string + "=i\(v)")
                case .number(let v): seen.append(p.name.string + "=d\(v)")
                case .bool(let b): seen.append(p.name.string + "=b\(b)")
                case .text(let t): seen.append(p.name.string + "=s" + t.string)
                case .structured(let raw): seen.append(p.name.string + "=j" + String(decoding: raw, as: UTF8.self))
                case .null: seen.append(p.name.string + "=null")
                }
            }
        }
        #expect(seen == ["limit=i80", "mode=seco", "on=btrue", "gain=d1.5", "arr=j[1,2]"])
    }

    @Test func measurepointGetGivesPointIds() {
        var ids: [String] = []
        let error = decode("/sys/gwPK/gwDK/thing/service/measurepoint/get",
                           #"{"id":"1","version":"1.0","method":"thing.service.measurepoint.get","params":["power","te\u006dp"]}"#) { c in
            for id in c.pointIds() { ids.append(id.string) }
        }
        #expect(error == nil)
        #expect(ids == ["power", "temp"])
        #expect(decode("/sys/gwPK/gwDK/thing/service/measurepoint/get",
                       #"{"id":"1","version":"1.0","method":"thing.service.measurepoint.get","params":["power",3]}"#)?.code == 1220)
        #expect(decode("/sys/gwPK/gwDK/thing/service/measurepoint/get",
                       #"{"id":"1","version":"1.0","method":"thing.service.measurepoint.get","params":{"a":1}}"#)?.code == 1220)
    }

    @Test func serviceInvocationWithAndWithoutParams() {
        var service = ""
        var count = 0
        let r1 = decode("/sys/gwPK/gwDK/thing/service/multiply",
                       #"{"id":"5","version":"1.0","method":"thing.service.multiply","params":{"left":3,"right":4}}"#) { c in
            service = String(decoding: c.serviceId, as: UTF8.self)
            for _ in c.parameters() { count += 1 }
        }
        #expect(r1 == nil)
        #expect(service == "multiply")
        #expect(count == 2)
        #expect(decode("/sys/gwPK/gwDK/thing/service/reboot", #"{"id":"6","version":"1.0","method":"thing.service.reboot"}"#) == nil)
    }

    @Test func otaUpgradeFields() {
        var size: Int64 = 0
        var url = "", version = "", method = ""
        let r2 = decode("/sys/gwPK/gwDK/ota/device/upgrade",
                       #"{"id":"7","version":"1.0","method":"ota.device.upgrade","params":{"version":"v1.2","sign":"abc","signMethod":"sha256","fileUrl":"/x/ota/fw","fileSize":1024}}"#) { c in
            guard let u = c.upgrade() else { return }
            size = u.fileSize
            url = u.fileUrl.string
            version = u.version.string
            method = u.signMethod.string
        }
        #expect(r2 == nil)
        #expect(size == 1024 && url == "/x/ota/fw" && version == "v1.2" && method == "sha256")
        let missing = decode("/sys/gwPK/gwDK/ota/device/upgrade",
                             #"{"id":"7","version":"1.0","method":"ota.device.upgrade","params":{"version":"v1.2","sign":"abc","signMethod":"md5","fileSize":1}}"#)
        #expect(missing?.problem == .missing(.fileUrl))
        #expect(missing?.code == 1220)
        let negative = decode("/sys/gwPK/gwDK/ota/device/upgrade",
                              #"{"id":"7","version":"1.0","method":"ota.device.upgrade","params":{"version":"v1","sign":"a","signMethod":"md5","fileUrl":"u","fileSize":-1}}"#)
        #expect(negative?.problem == .wrongType(.fileSize, expected: .nonNegativeInteger))
        #expect(negative?.description == "Payload format error: params.fileSize must be a non-negative integer")
    }

    @Test func combineNotificationsListSubDevices() {
        var keys: [String] = []
        let r3 = decode("/ext/session/gwPK/gwDK/combine/disable",
                       #"{"id":"8","version":"1.0","method":"combine.disable","params":[{"productKey":"sPK","deviceKey":"s1"},{"deviceKey":"s2","productKey":"sPK","x":{}}]}"#) { c in
            #expect(c.kind == .subDevicesDisabled)
            for (pk, dk) in c.subDeviceKeys() { keys.append(pk.string + "/" + dk.string) }
        }
        #expect(r3 == nil)
        #expect(keys == ["sPK/s1", "sPK/s2"])
        #expect(decode("/ext/session/gwPK/gwDK/combine/delete",
                       #"{"id":"8","version":"1.0","method":"combine.delete","params":[{"productKey":"sPK"}]}"#)?.problem == .missing(.deviceKey))
    }

    @Test func errorsMapToReplyCodes() {
        let topic = "/sys/gwPK/gwDK/thing/service/measurepoint/set"
        #expect(decode(topic, "")?.code == 1251)
        let bad = decode(topic, #"{"id":"3","method":"thing.service.measurepoint.set","params":{"a":1,}}"#)
        #expect(bad?.code == 1220)
        if case .malformedJSON = bad?.problem {} else { Issue.record("expected malformedJSON, got \(String(describing: bad))") }
        #expect(bad?.idToken != nil)   // the id was read before the problem: the reply can carry it
        #expect(decode(topic, #"{"id":"3","method":"thing.service.measurepoint.get","params":{}}"#)?.code == 1260)
        #expect(decode(topic, #"{"id":3,"method":"thing.service.measurepoint.set","params":{}}"#)?.problem == .wrongType(.id, expected: .string))
        #expect(decode(topic, #"{"method":"thing.service.measurepoint.set","params":{}}"#)?.problem == .missing(.id))
        #expect(decode(topic, #"{"id":"1","params":{}}"#)?.problem == .missing(.method))
        #expect(decode(topic, #"{"id":"1","method":"thing.service.measurepoint.set"}"#)?.problem == .missing(.params))
        #expect(decode(topic, #"{"id":"1","method":"thing.service.measurepoint.set","params":[1]}"#)?.problem == .wrongType(.params, expected: .object))
        #expect(decode(topic, #"[1,2]"#)?.problem == .wrongType(.document, expected: .object))
        #expect(decode(topic, #"{"id":"1","method":"thing.service.measurepoint.set","params":{}} x"#)?.code == 1220)
        #expect(decode("/sys/nobody/here/thing/service/x", #"{"id":"1","method":"thing.service.x","params":{}}"#)?.code == 1101)
        let long = String(repeating: "9", count: 65)
        #expect(decode(topic, #"{"id":""# + long + #"","method":"thing.service.measurepoint.set","params":{}}"#)?.problem == .idTooLong)
    }
}
