import EdgeCore
import MQTT

extension EnOSGateway where Transport: ~Copyable {
    /// With `checksModels`: once per product key and connection, when the first sub-device of
    /// that product is online, asks for the product's TSL model on that sub-device's own topic
    /// (`/sys/{pk}/{dk}/thing/tsltemplate/get`, spec §8). The reply (or its timeout) comes back as
    /// `.model(subDevice:code:data:)`; a reconnect asks again, so a changed model is picked up.
    mutating func sendModelRequests(_ onEvent: (EnOSGatewayEvent) -> Void) {
        let core = self.core
        guard core.configuration.checksModels else { return }
        let subs = core.configuration.subDevices
        var i = 0
        while i < subs.count {   // an index loop: enumerated() allocates in debug builds
            defer { i += 1 }
            guard !core.modelAsked[i], core.subDevices.status[i] == .online else { continue }
            if core.pending.isFull { return }
            let id = core.takeRequestId()
            var w = JSONWriter(buffer: core.controlBuffer)
            guard (try? EnOSRequestEncoder.tslTemplateGet(&w, id: id)) != nil,
                  let n = EnOSTopic.request(.tslTemplateGet, productKey: subs[i].productKey, deviceKey: subs[i].deviceKey,
                                            into: core.topicBuffer) else {
                markModelAsked(productOf: i)
                continue
            }
            guard case .sent = publishRequest(id: id, kind: .tslTemplateGet, topicCount: n, payload: w.bytes, tag: 0,
                                              subDevice: Int32(i), reported: false, onEvent) else { return }
            markModelAsked(productOf: i)
        }
    }

    /// Marks every sub-device of the same product as `index` asked (one request per product key).
    func markModelAsked(productOf index: Int) {
        let subs = core.configuration.subDevices
        var k = 0
        while k < subs.count {
            if subs[k].productKey == subs[index].productKey { core.modelAsked[k] = true }
            k += 1
        }
    }
}

extension EnOSRequestEncoder {
    /// `thing.tsltemplate.get` (spec §8; Java `TslTemplateGetRequest`): `params` `{}`. The reply's
    /// `data` holds the model: `tslMeasurepointMap`, `tslAttributeMap`, `tslServiceMap`,
    /// `tslEventMap` (identifier → definition) and model metadata.
    public static func tslTemplateGet(_ w: inout JSONWriter, id: UInt32) throws(JSONWriterError) {
        try beginRequest(&w, id: id, method: "thing.tsltemplate.get")
        try w.key("params")
        try w.beginObject()
        try w.endObject()
        try w.endObject()
    }
}
