import CMbedTLS
import CShim

/// Checks the TLS files of a configuration when it is loaded (not at the first connection):
/// each is parsed by mbedTLS exactly as `TLSStream` will, and a failure comes back as one
/// sentence naming the file and what is wrong with it. Allocates (parsing contexts, texts):
/// for configuration loading only.
public enum TLSFileCheck {
    /// nil if `path` holds at least one certificate (PEM or DER) and nothing unparsable, else why not.
    public static func certificates(_ path: String) -> String? {
        let crt = UnsafeMutablePointer<mbedtls_x509_crt>.allocate(capacity: 1)
        mbedtls_x509_crt_init(crt)
        defer { mbedtls_x509_crt_free(crt); crt.deallocate() }
        let rc = mbedtls_x509_crt_parse_file(crt, path)
        if rc == 0 { return nil }
        if rc > 0 { return "file \"\(path)\" holds \(rc) certificate\(rc == 1 ? "" : "s") that cannot be parsed" }
        if rc == MBEDTLS_ERR_X509_FILE_IO_ERROR { return "file \"\(path)\" cannot be read" }
        return "file \"\(path)\" is not a PEM or DER certificate: " + TLSErrorText.text(rc)
    }

    /// nil if `keyPath` holds a private key mbedTLS can use (decrypted with `password` if given)
    /// and, when `certificatePath` is given, that key belongs to its first certificate.
    public static func privateKey(_ keyPath: String, password: String?, certificatePath: String?) -> String? {
        let key = UnsafeMutablePointer<mbedtls_pk_context>.allocate(capacity: 1)
        mbedtls_pk_init(key)
        defer { mbedtls_pk_free(key); key.deallocate() }
        let rc = mbedtls_pk_parse_keyfile(key, keyPath, password)
        switch rc {
        case 0: break
        case MBEDTLS_ERR_PK_FILE_IO_ERROR:
            return "file \"\(keyPath)\" cannot be read"
        case MBEDTLS_ERR_PK_PASSWORD_REQUIRED:
            return "key file \"\(keyPath)\" is encrypted: give keyPassword"
        case MBEDTLS_ERR_PK_PASSWORD_MISMATCH:
            return "keyPassword does not decrypt key file \"\(keyPath)\""
        default:
            if password != nil && isEncryptedPKCS8(keyPath) {
                return "key file \"\(keyPath)\" is an encrypted PKCS#8 key this build of mbedTLS cannot decrypt ("
                    + TLSErrorText.text(rc) + "; mbedTLS 2.28 reads PBES2 only with PBKDF2-HMAC-SHA1, the firmware's build none): "
                    + "store it unencrypted, readable only by the agent: openssl pkey -in \(keyPath) -out \(keyPath).plain && chmod 600 \(keyPath).plain"
            }
            return "file \"\(keyPath)\" is not a PEM or DER private key: " + TLSErrorText.text(rc)
        }
        guard let certificatePath else { return nil }
        let crt = UnsafeMutablePointer<mbedtls_x509_crt>.allocate(capacity: 1)
        mbedtls_x509_crt_init(crt)
        defer { mbedtls_x509_crt_free(crt); crt.deallocate() }
        guard mbedtls_x509_crt_parse_file(crt, certificatePath) == 0 else { return nil }   // reported by `certificates`
        if mbedtls_pk_check_pair(&crt.pointee.pk, key) != 0 {
            return "key file \"\(keyPath)\" does not belong to the certificate in \"\(certificatePath)\""
        }
        return nil
    }

    /// True if the file is a PEM "ENCRYPTED PRIVATE KEY" (PKCS#8 with a passphrase).
    static func isEncryptedPKCS8(_ path: String) -> Bool {
        guard let file = fopen(path, "r") else { return false }
        defer { fclose(file) }
        var buffer = InlineArray<64, CChar>(repeating: 0)
        var span = buffer.mutableSpan
        return span.withUnsafeMutableBufferPointer { p in
            guard fgets(p.baseAddress, Int32(p.count), file) != nil else { return false }
            return String(cString: p.baseAddress!).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        }
    }
}
