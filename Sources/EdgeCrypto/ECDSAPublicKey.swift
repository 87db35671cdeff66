import CMbedTLS

/// An ECDSA public key (P-256, from DER SubjectPublicKeyInfo) that verifies signatures over
/// SHA-256 digests: how OTA images are checked against the key the firmware carries. Owns its
/// mbedTLS context at a stable heap address.
public struct ECDSAPublicKey: ~Copyable {
    private let context: UnsafeMutablePointer<mbedtls_pk_context>

    /// Parses a DER (or NUL-terminated PEM) public key. Only EC keys are accepted.
    public init(der: UnsafeRawBufferPointer) throws(CryptoError) {
        let context = try Self.parse(der)
        self.context = context
    }

    private static func parse(_ der: UnsafeRawBufferPointer) throws(CryptoError) -> UnsafeMutablePointer<mbedtls_pk_context> {
        guard let base = der.baseAddress, der.count > 0 else {
            throw CryptoError(code: MBEDTLS_ERR_PK_BAD_INPUT_DATA, operation: "parse public key")
        }
        let context = UnsafeMutablePointer<mbedtls_pk_context>.allocate(capacity: 1)
        mbedtls_pk_init(context)
        var rc = mbedtls_pk_parse_public_key(context, base.assumingMemoryBound(to: UInt8.self), der.count)
        if rc == 0 && mbedtls_pk_can_do(context, MBEDTLS_PK_ECDSA) == 0 { rc = MBEDTLS_ERR_PK_TYPE_MISMATCH }
        if rc != 0 {
            mbedtls_pk_free(context)
            context.deallocate()
            throw CryptoError(code: rc, operation: "parse public key")
        }
        return context
    }

    /// Verifies a DER-encoded ECDSA signature over a SHA-256 digest. Throws when the signature
    /// does not match (mbedTLS's code says why).
    public func verify(digest: SHA256Digest, signature: UnsafeRawBufferPointer) throws(CryptoError) {
        guard let sig = signature.baseAddress, signature.count > 0 else {
            throw CryptoError(code: MBEDTLS_ERR_PK_BAD_INPUT_DATA, operation: "verify signature")
        }
        let rc = digest.withUnsafeBytes { d in
            mbedtls_pk_verify(context, MBEDTLS_MD_SHA256, d.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                              sig.assumingMemoryBound(to: UInt8.self), signature.count)
        }
        if rc != 0 { throw CryptoError(code: rc, operation: "verify signature") }
    }

    deinit {
        mbedtls_pk_free(context)
        context.deallocate()
    }
}
