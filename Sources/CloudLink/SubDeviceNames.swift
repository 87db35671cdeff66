import EnOS
import Configuration

/// The configured sub-devices' keys, to find the one a cloud message names: EnOS words errors
/// about one sub-device with its keys (`"pk&dk has error: Device is disable;"` for a batch login),
/// and a refusal of a measurepoint batch may do the same. A key counts only as a whole word (not
/// `meter1` inside `meter10`); when several sub-devices share the device key, the product key
/// must be there too. Nil unless exactly one sub-device is named. Keys copied at start-up; the
/// search allocates nothing.
struct SubDeviceNames {
    let productKeys: [[UInt8]]
    let deviceKeys: [[UInt8]]
    let devices: [Int]

    init(_ subDevices: [SubDeviceCredentials]) {
        productKeys = subDevices.map { Array($0.credentials.productKey.utf8) }
        deviceKeys = subDevices.map { Array($0.credentials.deviceKey.utf8) }
        devices = subDevices.map { $0.device }
    }

    /// The field device of the one sub-device `message` names, nil when it names none or several.
    func device(namedIn message: EnOSText?) -> Int? {
        guard let message else { return nil }
        let text = message.raw
        var found: Int? = nil
        var ambiguous = false
        for i in deviceKeys.indices where Self.containsWord(deviceKeys[i], in: text) {
            if found == nil { found = i } else { ambiguous = true }
        }
        guard let first = found else { return nil }
        guard ambiguous else { return devices[first] }
        // Several sub-devices share the device key: the product key decides.
        found = nil
        for i in deviceKeys.indices where Self.containsWord(deviceKeys[i], in: text) && Self.containsWord(productKeys[i], in: text) {
            if found != nil { return nil }
            found = i
        }
        return found.map { devices[$0] }
    }

    static func containsWord(_ word: [UInt8], in text: UnsafeRawBufferPointer) -> Bool {
        guard !word.isEmpty, word.count <= text.count else { return false }
        var start = 0
        while start + word.count <= text.count {
            var match = true
            for k in 0..<word.count where text[start + k] != word[k] {
                match = false
                break
            }
            if match {
                let before = start == 0 || !isKeyByte(text[start - 1])
                let after = start + word.count == text.count || !isKeyByte(text[start + word.count])
                if before && after { return true }
            }
            start += 1
        }
        return false
    }

    static func isKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }
}
