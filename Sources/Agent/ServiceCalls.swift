import CloudLink
import Configuration
import FieldBus

/// Service calls whose writes are under way (by the command's id, as in `ControlTable`): the
/// service and the values written, so that the reply can carry its output parameters. A point
/// written with read-back that matched reports the value written (what the device now holds);
/// any other output point reports its latest good value from the device table. Capacity from
/// start-up (`control.commandsInFlight`, as the control table); allocates nothing after `init`.
struct ServiceCalls: Sendable {
    struct Entry: Sendable {
        var active = false
        var id: UInt32 = 0
        var service: Int32 = -1
        var points: InlineArray<16, Int32> = InlineArray(repeating: -1)
        var values: InlineArray<16, PointValue> = InlineArray(repeating: .bool(false))
        var verifyMask: UInt16 = 0
        var count = 0
    }

    var entries: [Entry]

    init(capacity: Int) {
        entries = [Entry](repeating: Entry(), count: max(capacity, 1))
    }

    /// Keeps `request`'s writes (a service call whose writes are about to be submitted);
    /// `verified`: the writes read back (the service's own, or every write by configuration).
    mutating func open(_ request: ControlRequest, verified: UInt16) {
        guard request.service >= 0 else { return }
        for i in entries.indices where !entries[i].active {
            entries[i] = Entry(active: true, id: request.id, service: request.service, points: request.points,
                               values: request.values, verifyMask: verified, count: request.count)
            return
        }
    }

    /// Fills a successful service reply with the service's outputs and frees the call's entry
    /// (also on failure: nothing is kept for a finished command).
    mutating func complete(_ reply: inout ControlReply, catalog: ServiceCatalog, devices: DeviceTable) {
        var entry: Entry? = nil
        for i in entries.indices where entries[i].active && entries[i].id == reply.id {
            entry = entries[i]
            entries[i].active = false
            break
        }
        guard let entry, reply.error == nil else { return }
        reply.service = entry.service
        let service = Int(entry.service)
        reply.count = 0
        for o in catalog.services[service].outputs.indices {
            let point = catalog.services[service].outputs[o].point
            reply.points[o] = Int32(o)
            var written: PointValue? = nil
            for w in 0..<entry.count where Int(entry.points[w]) == point && entry.verifyMask & (UInt16(1) << UInt16(w)) != 0 {
                written = entry.values[w]
            }
            if let written {
                reply.values[o] = written
                reply.present[o] = true
            } else if let latest = devices.latest(device: reply.device, point: point), latest.quality.isGood {
                reply.values[o] = latest.value
                reply.present[o] = true
            }
            reply.count += 1
        }
    }
}
