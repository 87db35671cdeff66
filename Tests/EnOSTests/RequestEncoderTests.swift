import EdgeCore
import EdgeCrypto
import EnOS
import Foundation
import Testing

/// The exact JSON of the other requests: sub-device login (with the spec's §4.4 sign), batch
/// login, topology add, logout, connection state (full and delta), event, OTA inform/progress,
/// command replies.
@Suite struct RequestEncoderTests {
    func encode(_ body: (inout JSONWriter) throws(JSONWriterError) -> Void) throws -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var w = JSONWriter(buffer: buffer)
        try body(&w)
        #expect(w.isComplete)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    let sub = EnOSDeviceIdentity(productKey: "subPK", deviceKey: "subDK", deviceSecret: "s3cr3t")

    @Test func subDeviceLoginCarriesTheSpecSign() throws {
        var hasher = SHA256()
        let json = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.subDeviceLogin(&w, id: 5, clientId: "subPK.subDK.1700000000000", timestampMilliseconds: 1700000000000,
                                                  device: sub, hasher: &hasher)
        }
        #expect(json == #"{"id":"5","version":"1.0","method":"combine.login","params":{"productKey":"subPK","deviceKey":"subDK","clientId":"subPK.subDK.1700000000000","timestamp":"1700000000000","signMethod":"sha256","secureMode":"2","sign":"1AA8399EDBA35E0012B025E4F1B4BB5BE67717EEAB971C1B90B69F7A94181408"}}"#)
    }

    @Test func batchLoginAndTopologyAddSignEachEntry() throws {
        var hasher = SHA256()
        let subs = [sub, EnOSDeviceIdentity(productKey: "p2", deviceKey: "d2", deviceSecret: "x")]
        let batch = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.subDeviceLoginBatch(&w, id: 1, clientId: "subPK.subDK.1700000000000", timestampMilliseconds: 1700000000000,
                                                       subDevices: subs, indices: [0, 1], hasher: &hasher)
        }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(batch.utf8)) as? [String: Any])
        #expect(object["method"] as? String == "combine.login.batch")
        let params = try #require(object["params"] as? [String: Any])
        #expect(params["timestamp"] as? String == "1700000000000")
        let entries = try #require(params["subDevices"] as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries[0]["sign"] as? String == "1AA8399EDBA35E0012B025E4F1B4BB5BE67717EEAB971C1B90B69F7A94181408")
        #expect(entries[1]["sign"] as? String == EnOSSignature.string(clientId: "subPK.subDK.1700000000000", productKey: "p2", deviceKey: "d2",
                                                                        timestampMilliseconds: 1700000000000, secret: "x"))
        let topo = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.topologyAdd(&w, id: 2, clientId: "subPK.subDK.1700000000000", timestampMilliseconds: 1700000000000,
                                               subDevices: subs, indices: [0], hasher: &hasher)
        }
        #expect(topo == #"{"id":"2","version":"1.0","method":"thing.topo.add","params":[{"productKey":"subPK","deviceKey":"subDK","clientId":"subPK.subDK.1700000000000","timestamp":"1700000000000","signMethod":"sha256","sign":"1AA8399EDBA35E0012B025E4F1B4BB5BE67717EEAB971C1B90B69F7A94181408"}]}"#)
    }

    @Test func connectionStateFullAndDelta() throws {
        let gateway = EnOSConnectionNode(nodeId: "gw", state: .connected, name: "gw")
        let nodes = [EnOSConnectionNode(nodeId: "a", state: .connected), EnOSConnectionNode(nodeId: "b", state: .disconnected, info: "no answer")]
        let full = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.connectionState(&w, id: 3, gateway: gateway, nodes: nodes, full: true, reportTimeMilliseconds: 1612254712139)
        }
        #expect(full == #"{"id":"3","version":"1.0","method":"connection.state.post","params":{"isFull":true,"nodes":[{"nodeId":"gw","state":1,"name":"gw"},{"nodeId":"a","state":1},{"nodeId":"b","state":2,"info":"no answer"}],"relations":{"gw":["a","b"]},"reportTime":1612254712139}}"#)
        let delta = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.connectionState(&w, id: 4, gateway: nil, nodes: nodes.prefix(1), full: false, reportTimeMilliseconds: 1)
        }
        #expect(delta == #"{"id":"4","version":"1.0","method":"connection.state.post","params":{"isFull":false,"nodes":[{"nodeId":"a","state":1}],"reportTime":1}}"#)
    }

    @Test func eventOtaLogoutAndCommandReply() throws {
        let event = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.eventPost(&w, id: 6, eventId: "overTemp", timeMilliseconds: 1700000000000) { (w: inout JSONWriter) throws(JSONWriterError) in
                try w.key("temp")
                try w.value(120.5)
            }
        }
        #expect(event == #"{"id":"6","version":"1.0","method":"thing.event.overTemp.post","params":{"events":{"temp":120.5},"time":1700000000000}}"#)
        let inform = try encode { (w: inout JSONWriter) throws(JSONWriterError) in try EnOSRequestEncoder.otaInform(&w, id: 7, version: "1.2.3") }
        #expect(inform == #"{"id":"7","version":"1.0","method":"ota.device.inform","params":{"version":"1.2.3"}}"#)
        let progress = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.otaProgress(&w, id: 8, step: -3, description: "verification failed")
        }
        #expect(progress == #"{"id":"8","version":"1.0","method":"ota.device.progress","params":{"step":"-3","desc":"verification failed"}}"#)
        let logout = try encode { (w: inout JSONWriter) throws(JSONWriterError) in
            try EnOSRequestEncoder.subDeviceLogout(&w, id: 9, productKey: "p", deviceKey: "d")
        }
        #expect(logout == #"{"id":"9","version":"1.0","method":"combine.logout","params":{"productKey":"p","deviceKey":"d"}}"#)
        let id = Array("abc".utf8)
        let reply = try id.withUnsafeBytes { raw in
            try encode { (w: inout JSONWriter) throws(JSONWriterError) in
                try EnOSRequestEncoder.commandReply(&w, id: raw, code: 1101, message: "no such service")
            }
        }
        #expect(reply == #"{"id":"abc","code":1101,"message":"no such service","data":{}}"#)
    }
}
