import CMbedTLS
import EdgeCore

/// mbedTLS's text for an error code, and certificate verification flags in words. Used on error
/// paths only (the texts are Strings).
public enum TLSErrorText {
    /// mbedtls_strerror (MBEDTLS_ERROR_C is on in Debian's mbedTLS and in the firmware's build),
    /// followed by the code in hex: "SSL - The connection indicated an EOF (-0x7280)".
    public static func text(_ code: Int32) -> String {
        var buffer = InlineArray<160, CChar>(repeating: 0)
        var span = buffer.mutableSpan
        let words = span.withUnsafeMutableBufferPointer { p in
            mbedtls_strerror(code, p.baseAddress, p.count)
            return String(cString: p.baseAddress!)
        }
        let hex = "-0x" + String(UInt32(bitPattern: code < 0 ? -code : code), radix: 16)
        return words.isEmpty ? "mbedTLS error " + hex : words + " (" + hex + ")"
    }

    /// The verification result in words: the common reasons (expired, not yet valid, host name
    /// mismatch, unknown CA) in our own words, any other flag in mbedTLS's
    /// (mbedtls_x509_crt_verify_info), joined with "; ".
    public static func verification(_ flags: UInt32) -> String {
        var out = ""
        func add(_ s: String) { out += (out.isEmpty ? "" : "; ") + s }
        var rest = flags
        if flags & UInt32(MBEDTLS_X509_BADCERT_EXPIRED) != 0 { add("certificate expired") }
        if flags & UInt32(MBEDTLS_X509_BADCERT_FUTURE) != 0 { add("certificate not yet valid") }
        if flags & UInt32(MBEDTLS_X509_BADCERT_CN_MISMATCH) != 0 {
            add("host name mismatch: the certificate does not name the host (or serverName)")
        }
        if flags & UInt32(MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0 {
            add("unknown CA: the certificate is not signed by a CA in caFile (not trusted)")
        }
        rest &= ~UInt32(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE
                        | MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        if rest != 0 {
            var buffer = InlineArray<512, CChar>(repeating: 0)
            var span = buffer.mutableSpan
            let raw = span.withUnsafeMutableBufferPointer { p in
                _ = mbedtls_x509_crt_verify_info(p.baseAddress, p.count, "", rest)
                return String(cString: p.baseAddress!)
            }
            for line in raw.split(separator: "\n") { add(String(line)) }
        }
        return out
    }
}

extension ByteStreamError {
    /// A TLS failure, with the certificate verification flags and the failing certificate's
    /// names if verification failed, and its words for `tlsDescription` (error path only: the
    /// words are a String): "TLS: broker certificate rejected: certificate expired (certificate
    /// CN=broker, issued by CN=CA)", or mbedTLS's text for the code.
    public static func tls(_ code: Int32, verifyFlags: UInt32 = 0, subject: String? = nil) -> ByteStreamError {
        var e = ByteStreamError(.tls, code: code)
        e.detail = verifyFlags
        if code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || verifyFlags != 0 {
            var text = "TLS: broker certificate rejected: "
                + (verifyFlags != 0 ? TLSErrorText.verification(verifyFlags) : "verification failed")
            if let subject { text += " (" + subject + ")" }
            e.tlsText = text
        } else {
            e.tlsText = "TLS: " + TLSErrorText.text(code)
        }
        return e
    }
}
