import CMbedTLS
import MQTT

/// mbedTLS's text for an error code, and for certificate verification flags.
public enum TLSErrorText {
    /// mbedtls_strerror.
    public static func text(_ code: Int32) -> String {
        var buffer = InlineArray<160, CChar>(repeating: 0)
        var span = buffer.mutableSpan
        return span.withUnsafeMutableBufferPointer { p in
            mbedtls_strerror(code, p.baseAddress, p.count)
            return String(cString: p.baseAddress!)
        }
    }

    /// mbedtls_x509_crt_verify_info, one line per reason, joined with "; ".
    public static func verification(_ flags: UInt32) -> String {
        var buffer = InlineArray<512, CChar>(repeating: 0)
        var span = buffer.mutableSpan
        let raw = span.withUnsafeMutableBufferPointer { p in
            _ = mbedtls_x509_crt_verify_info(p.baseAddress, p.count, "", flags)
            return String(cString: p.baseAddress!)
        }
        var out = ""
        for line in raw.split(separator: "\n") {
            if !out.isEmpty { out += "; " }
            out += String(line)
        }
        return out
    }
}

extension MQTTTransportError {
    /// A TLS failure, with the certificate verification flags if verification failed.
    public static func tls(_ code: Int32, verifyFlags: UInt32 = 0) -> MQTTTransportError {
        var e = MQTTTransportError(.tls, code: code)
        e.detail = verifyFlags
        return e
    }

    /// TLS failures in words (other kinds: `description`).
    public var tlsDescription: String {
        guard kind == .tls else { return description }
        var text = "TLS: " + TLSErrorText.text(code)
        if detail != 0 { text += " (" + TLSErrorText.verification(detail) + ")" }
        return text
    }
}
