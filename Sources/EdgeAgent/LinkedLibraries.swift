import CMbedTLS
import CModbus

/// Versions of the C libraries linked into this binary, as they report themselves at run time.
enum LinkedLibraries {
    static var mbedTLSVersion: String {
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // ≥ 18 bytes, zeroed
        return withUnsafeMutableBytes(of: &buffer) { raw in
            let chars = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            mbedtls_version_get_string_full(chars)
            return String(cString: chars)
        }
    }

    static var modbusVersion: String {
        "\(libmodbus_version_major).\(libmodbus_version_minor).\(libmodbus_version_micro)"
    }
}
