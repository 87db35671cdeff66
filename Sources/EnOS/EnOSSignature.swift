import EdgeCrypto

/// The EnOS "sign" (spec §1.2, §4.3, §4.4): upper-case hex SHA-256 of
/// `clientId{c}deviceKey{dk}productKey{pk}timestamp{ts}` followed by the secret, with no
/// separators (the four keys already in sorted order). The same rule signs the gateway's MQTT
/// password, each sub-device of `combine.login` / `combine.login.batch`, and `thing.topo.add`
/// entries. A plain hash, not an HMAC, despite the SDKs' `hmacsha256` alias.
///
/// Allocation-free when given a hasher (`SHA256` owns an mbedTLS context: keep one and reuse it).
public enum EnOSSignature {
    /// Length of a sign: 32 bytes as 64 hex digits.
    public static let length = 64

    /// Writes the 64 upper-case hex digits of the sign into `output[0..<64]`; false if `output`
    /// is shorter than 64 bytes.
    @discardableResult
    public static func write(clientId: String, productKey: String, deviceKey: String, timestampMilliseconds: Int64,
                             secret: String, hasher: inout SHA256,
                             into output: UnsafeMutableRawBufferPointer) -> Bool {
        write(productKey: productKey, deviceKey: deviceKey, timestampMilliseconds: timestampMilliseconds, secret: secret,
              hasher: &hasher, into: output) { update(&$0, clientId) }
    }

    /// `write` with the client id as UTF-8 bytes (a composed one, e.g. the sub-device login's
    /// `{pk}.{dk}.{timestamp}`).
    @discardableResult
    public static func write(clientIdBytes: UnsafeRawBufferPointer, productKey: String, deviceKey: String,
                             timestampMilliseconds: Int64, secret: String, hasher: inout SHA256,
                             into output: UnsafeMutableRawBufferPointer) -> Bool {
        write(productKey: productKey, deviceKey: deviceKey, timestampMilliseconds: timestampMilliseconds, secret: secret,
              hasher: &hasher, into: output) { $0.update(clientIdBytes) }
    }

    static func write(productKey: String, deviceKey: String, timestampMilliseconds: Int64, secret: String,
                      hasher: inout SHA256, into output: UnsafeMutableRawBufferPointer,
                      clientId: (inout SHA256) -> Void) -> Bool {
        guard output.count >= length else { return false }
        update(&hasher, "clientId")
        clientId(&hasher)
        update(&hasher, "deviceKey")
        update(&hasher, deviceKey)
        update(&hasher, "productKey")
        update(&hasher, productKey)
        update(&hasher, "timestamp")
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes of stack for ≤ 20 digits
        withUnsafeMutableBytes(of: &digits) { raw in
            var w = EnOSByteWriter(raw)
            w.appendDecimal(timestampMilliseconds)
            hasher.update(UnsafeRawBufferPointer(rebasing: raw[0..<w.count]))
        }
        update(&hasher, secret)
        let digest = hasher.finish()
        digest.withUnsafeBytes { d in
            var i = 0
            for b in d {
                output[i] = hexDigit(b >> 4)
                output[i + 1] = hexDigit(b & 0xF)
                i += 2
            }
        }
        return true
    }

    /// The sign as a String (start-up use: the MQTT password). Allocates the String.
    public static func string(clientId: String, productKey: String, deviceKey: String, timestampMilliseconds: Int64,
                              secret: String) -> String {
        var hasher = SHA256()
        var bytes: [UInt8] = Array(repeating: 0, count: length)
        bytes.withUnsafeMutableBytes { out in
            _ = write(clientId: clientId, productKey: productKey, deviceKey: deviceKey,
                      timestampMilliseconds: timestampMilliseconds, secret: secret, hasher: &hasher, into: out)
        }
        var text = ""
        for b in bytes { text.unicodeScalars.append(Unicode.Scalar(b)) }
        return text
    }

    static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "A") + v - 10
    }

    static func update(_ hasher: inout SHA256, _ text: StaticString) {
        hasher.update(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    static func update(_ hasher: inout SHA256, _ text: String) {
        var copy = text
        copy.withUTF8 { hasher.update(UnsafeRawBufferPointer($0)) }
    }
}

/// What the gateway puts into its MQTT CONNECT (spec §1.2, secure mode 2): the client id
/// `{id}|securemode=2,signmethod=sha256,timestamp={ms}|`, the user name `{dk}&{pk}` and the
/// password (the sign). Built once per connection identity at start-up; EnOS does not check the
/// timestamp's freshness (the C SDK sends a fixed one), so one sign serves every reconnect.
public struct EnOSConnectCredentials: Equatable, Sendable {
    public var clientId: String
    public var username: String
    public var password: String

    /// `clientId` is the free identifier before the first `|` (≤ 64 characters; the device key
    /// when nil); it is signed exactly as sent.
    public init(device: EnOSDeviceIdentity, clientId: String? = nil, timestampMilliseconds: Int64) {
        let id = clientId ?? device.deviceKey
        let ts = String(timestampMilliseconds)
        self.clientId = id + "|securemode=2,signmethod=sha256,timestamp=" + ts + "|"
        username = device.deviceKey + "&" + device.productKey
        password = EnOSSignature.string(clientId: id, productKey: device.productKey, deviceKey: device.deviceKey,
                                        timestampMilliseconds: timestampMilliseconds, secret: device.deviceSecret)
    }
}
