import EdgeCore
import RingLog
import CloudLink
import Configuration
import FieldBus
import StoreForward

extension AgentEventLoop where Device: ~Copyable, Uplink: ~Copyable, Poller: ~Copyable {
    /// The code the loop refuses a device with when the cloud deleted it (`combine.delete`): the
    /// same as the cloud's "no such sub-device".
    static var deletedDeviceCode: Int { 705 }

    /// A measurepoint request refused for a reason about one device: the store finds the device
    /// (named, or by one round split by device) and leaves it out (`StoreAndForward.deviceRefused`).
    mutating func deviceRefused(tag: UInt64, code: Int, device: Int?) {
        var outcome = DeviceRefusalOutcome.ignored
        storeStep { (s: inout StoreAndForward<Device, Clock>) throws(RingLogError) in
            outcome = try s.deviceRefused(tag: tag, code: code, device: device)
        }
        if outcome == .retrying, replyCodes.firstTime(code) {
            log.warning("cloud answered a measurepoint request with \(MeasurepointReplyCode.describe(code)) for every device alike; the unconfirmed samples are kept and sent again after a growing delay (at most 60 s); said once per code")
        }
    }

    /// The cloud deleted `device`'s sub-device: its samples are not sent any more (counted).
    mutating func refuseDeletedDevice(_ device: Int) {
        store.refuseDevice(device, code: Self.deletedDeviceCode)
        _ = store.takeRefusalToReport()   // the notice's own line said it
    }

    /// `device` may post again (it logged in, or the cloud enabled it).
    mutating func admitRefusedDevice(_ device: Int) {
        guard let code = store.refused.code(device), store.admitDevice(device) else { return }
        log.info("sub-device \(configuration.fieldBus.devices[device].name): its samples are sent again (refused before: \(MeasurepointReplyCode.describeDeviceRefusal(code)))")
    }

    /// Says each device newly refused, once, in words, with what happens to its samples.
    mutating func reportRefusedDevices() {
        while let r = store.takeRefusalToReport() {
            guard r.device >= 0, r.device < configuration.fieldBus.devices.count else { continue }
            log.error("sub-device \(configuration.fieldBus.devices[r.device].name): the cloud refuses its data: \(MeasurepointReplyCode.describeDeviceRefusal(r.code)); its samples are left out of the requests and dropped (counted in samplesOfRefusedDevices) until it logs in again or the cloud enables it; the other devices' data goes on")
        }
    }
}
