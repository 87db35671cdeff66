/// The field devices whose data the cloud refuses for a reason about that device alone (deleted,
/// not in the gateway's topology, disabled, not permitted: the uplink's reply codes), with the
/// code it gave. While a device is refused, its samples are left out of every request and leave
/// the log with the records that carry them, counted per device and in
/// `StoreAndForwardStats.samplesOfRefusedDevices`: one device the cloud will not take never holds
/// the others' acknowledgement (it is contiguous) nor their data. A device is admitted again when
/// the uplink says it may post (it logged in again, or the cloud enabled it). Fixed capacity (one
/// slot per field device), sized at start-up; nothing allocates afterwards.
public struct RefusedDevices: Sendable {
    /// Per device: the cloud's code for the refusal (0: not refused).
    var codes: [Int]
    /// Per device: samples left out since the start.
    var dropped: [UInt64]
    /// Per device: refused and not reported yet (`takeUnreported`).
    var unreported: [Bool]

    public init(capacity: Int) {
        codes = [Int](repeating: 0, count: max(capacity, 1))
        dropped = [UInt64](repeating: 0, count: max(capacity, 1))
        unreported = [Bool](repeating: false, count: max(capacity, 1))
    }

    public var capacity: Int { codes.count }

    /// The code `device` is refused with, nil when it is not refused.
    public func code(_ device: Int) -> Int? {
        guard device >= 0, device < codes.count, codes[device] != 0 else { return nil }
        return codes[device]
    }

    public func isRefused(_ device: Int) -> Bool { code(device) != nil }

    /// Samples of `device` left out since the start.
    public func droppedSamples(_ device: Int) -> UInt64 {
        device >= 0 && device < dropped.count ? dropped[device] : 0
    }

    /// Devices refused now.
    public var count: Int {
        var n = 0
        for c in codes where c != 0 { n += 1 }
        return n
    }

    /// Refuses `device` with `code` (not 0); true when it was not refused before.
    mutating func refuse(_ device: Int, code: Int) -> Bool {
        guard device >= 0, device < codes.count, code != 0 else { return false }
        let new = codes[device] == 0
        codes[device] = code
        if new { unreported[device] = true }
        return new
    }

    /// Admits `device` again; true when it was refused.
    mutating func admit(_ device: Int) -> Bool {
        guard device >= 0, device < codes.count, codes[device] != 0 else { return false }
        codes[device] = 0
        unreported[device] = false
        return true
    }

    /// The next device refused and not reported yet (each refusal is reported once).
    mutating func takeUnreported() -> Int? {
        for i in 0..<unreported.count where unreported[i] {
            unreported[i] = false
            return i
        }
        return nil
    }

    mutating func count(droppedSamples n: UInt64, of device: Int) {
        guard device >= 0, device < dropped.count else { return }
        dropped[device] &+= n
    }
}
