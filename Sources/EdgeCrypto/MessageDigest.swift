import CMbedTLS

/// A streaming digest through mbedTLS's generic message-digest layer, for the algorithms a cloud
/// names next to a file (EnOS `ota.device.upgrade` gives `signMethod` `md5`, and may give
/// `sha1` or `sha256`). MD5 and SHA-1 here check transfer integrity only; authenticity comes
/// from the image's ECDSA signature. The context is allocated once, at a stable address.
public struct MessageDigest: ~Copyable {
    public enum Algorithm: Equatable, Sendable {
        case md5, sha1, sha256

        /// Digest length in bytes.
        public var size: Int {
            switch self {
            case .md5: return 16
            case .sha1: return 20
            case .sha256: return 32
            }
        }

        /// From a method name as clouds write it (`md5`, `MD5`, `sha-256`, `SHA256`, …).
        public init?(name: String) {
            var lowered = ""
            for c in name.utf8 where c != UInt8(ascii: "-") && c != UInt8(ascii: "_") {
                lowered.unicodeScalars.append(Unicode.Scalar(c >= 65 && c <= 90 ? c + 32 : c))
            }
            switch lowered {
            case "md5": self = .md5
            case "sha1": self = .sha1
            case "sha256": self = .sha256
            default: return nil
            }
        }

        var mbedType: mbedtls_md_type_t {
            switch self {
            case .md5: return MBEDTLS_MD_MD5
            case .sha1: return MBEDTLS_MD_SHA1
            case .sha256: return MBEDTLS_MD_SHA256
            }
        }
    }

    public let algorithm: Algorithm
    private let context: UnsafeMutablePointer<mbedtls_md_context_t>

    /// Starts a digest. Throws when this mbedTLS build lacks the algorithm.
    public init(_ algorithm: Algorithm) throws(CryptoError) {
        guard let info = mbedtls_md_info_from_type(algorithm.mbedType) else {
            throw CryptoError(code: MBEDTLS_ERR_MD_FEATURE_UNAVAILABLE, operation: "digest setup")
        }
        let context = UnsafeMutablePointer<mbedtls_md_context_t>.allocate(capacity: 1)
        mbedtls_md_init(context)
        var rc = mbedtls_md_setup(context, info, 0)
        if rc == 0 { rc = mbedtls_md_starts(context) }
        if rc != 0 {
            mbedtls_md_free(context)
            context.deallocate()
            throw CryptoError(code: rc, operation: "digest setup")
        }
        self.algorithm = algorithm
        self.context = context
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = mbedtls_md_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// Writes the digest (`algorithm.size` bytes) into `out`, then starts over.
    public mutating func finish(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= algorithm.size, "digest buffer too small")
        _ = mbedtls_md_finish(context, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        _ = mbedtls_md_starts(context)
    }

    deinit {
        mbedtls_md_free(context)
        context.deallocate()
    }
}
