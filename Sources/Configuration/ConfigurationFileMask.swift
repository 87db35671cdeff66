import EdgeCore
import Logging

/// A configuration file's text with its secrets masked, as `thing.service.getConfiguration`
/// returns it (BUNDLE.md "From the cloud"). The secrets are found in the JSON, not only by
/// their text: the value of every member whose key, decoded, is `deviceSecret`, `password` or
/// `keyPassword` (at any depth) is replaced by `***` as its whole raw token, whatever escapes
/// the key or the value is written with (`"pass\u0077ord"`, `"gw\u0073ecret"`); the rest of
/// the text goes through the `SecretRegistry` as the log and the console mask it. A file that
/// is not one JSON document is not shown (its secrets could not be found). Service calls only
/// (allocates).
public enum ConfigurationFileMask {
    /// The member names whose values are secrets (CONFIG.md: `cloud.gateway.deviceSecret`,
    /// `cloud.subDevices[].deviceSecret`, `console.password`, `cloud.tls.keyPassword`).
    static func isSecretKey(_ reader: JSONReader, _ key: JSONToken) -> Bool {
        reader.equals(key, "deviceSecret") || reader.equals(key, "password") || reader.equals(key, "keyPassword")
    }

    /// `bytes` with every secret masked (see the type); throws when `bytes` is not JSON.
    public static func mask(_ bytes: UnsafeRawBufferPointer, name: String, secrets: SecretRegistry) throws(ConfigurationMaskError) -> [UInt8] {
        // First find every secret value (the document must parse whole), then write.
        var hidden: [(range: Range<Int>, quoted: Bool)] = []
        var reader = JSONReader(bytes)
        var secretNext = false
        do throws(JSONError) {
            while true {
                let token = try reader.next()
                if token.kind == .endOfDocument { break }
                if token.kind == .key {
                    secretNext = isSecretKey(reader, token)
                    continue
                }
                if secretNext {
                    switch token.kind {
                    case .string: hidden.append((token.range, false))
                    case .number, .bool, .null: hidden.append((token.range, true))
                    default: break
                    }
                }
                secretNext = false
            }
        } catch {
            throw ConfigurationMaskError("\(name): not shown: not JSON, so its secrets cannot be found (\(error.description))")
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var from = 0
        for (range, quoted) in hidden {
            secrets.mask(UnsafeRawBufferPointer(rebasing: bytes[from..<range.lowerBound])) { out.append(contentsOf: $0) }
            if quoted { out.append(UInt8(ascii: "\"")) }
            out.append(contentsOf: [UInt8(ascii: "*"), UInt8(ascii: "*"), UInt8(ascii: "*")])
            if quoted { out.append(UInt8(ascii: "\"")) }
            from = range.upperBound
        }
        secrets.mask(UnsafeRawBufferPointer(rebasing: bytes[from...])) { out.append(contentsOf: $0) }
        return out
    }
}

/// Why a configuration file could not be shown masked (it cannot be read, or it is not JSON any
/// more): the file and the reason, in words.
public struct ConfigurationMaskError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
